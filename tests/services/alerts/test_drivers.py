"""What drives an alert: words and hashtags new in the last minutes, against the hour before."""

from __future__ import annotations

from services.alerts.drivers import Drivers

T = 1_800_000_000.0


def test_words_and_hashtags_new_in_the_window_are_the_why_the_usual_ones_are_not() -> None:
    drivers = Drivers()
    for second in range(0, 3300, 20):  # 55 ordinary minutes
        drivers.add_text(["acme"], T + second, "Flying with Acme today, the flight crew was lovely #acme")
        drivers.add_hashtags(["acme"], T + second, ["acme"])
    for second in range(3300, 3600, 10):  # five minutes of a luggage crisis
        text = "@acme lost my luggage again, flight delayed 4 hours #AcmeLostBags https://x.example/abc"
        drivers.add_text(["acme"], T + second, text, ["acmelostbags"])
        drivers.add_hashtags(["acme"], T + second, ["AcmeLostBags", "acme"])
    why = drivers.why("acme", T + 3600)
    assert [t["tag"] for t in why["new_hashtags"]] == ["acmelostbags"]
    terms = [t["term"] for t in why["new_terms"]]
    assert set(terms) <= {"luggage", "again", "delayed", "hours"} and "luggage" in terms
    assert "flight" not in terms and "acmelostbags" not in terms and "example" not in terms
    assert why["text"].startswith("new #acmelostbags (") and "; words " in why["text"]
    assert Drivers().why("acme", T)["text"] == "no driver found yet"

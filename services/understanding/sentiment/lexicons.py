"""Hand-written sentiment lexicons for French, Spanish, German, Italian and Portuguese, and the function words
(negations, intensifiers, contrasts) of all six languages.

Written for Vigie from general knowledge of the languages (not derived from any data set). Valences follow
VADER's scale (about -4 .. +4). Words are in folded form: lower case, accents removed; German umlauts are
spelled ae/oe/ue and ß as ss (see `normalise.fold_tokens`). English word valences come from VADER itself.
Each line is `valence: word word ...`.
"""

from __future__ import annotations

WORDS: dict[str, str] = {
    "fr": """
    3.0: genial geniale geniaux geniales excellent excellente excellents excellentes magnifique magnifiques
    3.0: merveilleux merveilleuse fantastique fantastiques bonheur adore adorent adorer
    2.8: formidable joie felicitations heureux heureuse heureuses extraordinaire
    2.7: parfait parfaite parfaits parfaites ravi ravie ravis
    2.5: super adorable amour bravo impeccable sublime splendide kiffe kiffer top
    2.3: aime aimer aimons aiment meilleur meilleure meilleurs meilleures content contente contents
    2.2: beau belle beaux belles sympa chouette plaisir reussite reussi victoire gagne
    2.0: merci agreable gentil gentille bisous cool jolie joli jolies incroyable felicite
    1.8: bon bonne bons bonnes drole droles recommande rire espoir
    1.5: bien interessant interessante efficace hate bravo utile contente
    1.0: facile ameliorer ameliore ok
    -1.0: bof bizarre
    -1.3: fatigue fatiguee probleme problemes dommage
    -1.5: perdu perdre inquiet inquiete pauvre triste tristes terrible terribles peur
    -1.8: mal malheureusement galere inutile crise danger ennui ennuyeux
    -2.0: mauvais mauvaise marre enerve enervee enervant
    -2.0: injuste ridicule pleure pleurer douleur mensonge echec
    -2.2: decu decue decevant decevante deception stupide idiot idiote debile naze colere dangereux mort morts
    -2.3: chiant chiante honte scandale menteur souffrance souffrir guerre mourir tue tuer relou
    -2.5: nul nulle nuls nulles pire pires horrible honteux scandaleux catastrophe pourri pourrie lamentable
    -2.5: pathetique degoute merde malheur
    -2.8: affreux affreuse degueulasse desastre arnaque deteste detester
    -3.0: hais haine connard connasse attentat
    3.0: fabuleux fabuleuse
    2.8: superbe superbes felicitation
    2.5: joyeux joyeuse
    2.3: magique hilarant
    2.2: fier fiere fiers fieres fierte mignon mignonne mignons
    2.0: parfaitement remercie sympathique sourire amoureux feliciter victoires champion champions gg
    1.8: remercier bisou rigolo marrant gentils reussir
    1.5: enorme gagner gagnant vivement reve chance paix doux douce
    1.0: enfin
    -1.0: chelou
    -1.5: malade epuise fatigant ennuie
    -1.8: rate absurde inquietant bordel gueule
    -2.0: echoue defaite pleurs grotesque victimes mensonges
    -2.2: souffre drame incapable incapables
    -2.3: deprime deprimee tristesse emmerde revoltee rage
    -2.3: menteurs incompetent incompetents beurk berk chiants
    -2.5: pourris inadmissible inacceptable insupportable intolerable revoltant honteuse furieux furieuse tues
    -2.5: voleurs corrompu corrompus corruption terrifiant terreur tragique violence degueu degoutee
    -2.7: arnaqueur escroc escrocs
    -2.8: merdique degoutant horreur terroriste terroristes terrorisme batard
    -3.0: abominable atroce massacre salaud salauds salope encule connards
    """,
    "es": """
    3.0: genial excelente excelentes maravilloso maravillosa fantastico fantastica encanta encantan
    2.8: feliz felices alegria felicidades enhorabuena estupendo estupenda amo
    2.7: perfecto perfecta perfectos perfectas
    2.5: precioso preciosa amor bravo exito hermoso hermosa encantado encantada guapisimo guapisima
    2.2: lindo linda lindos lindas alegre chevere divertido divertida
    2.0: gracias bonito bonita mejor mejores victoria contento contenta guapo guapa increible bacan chido
    1.8: bueno buena buenos buenas gusta gustan gusto ganar gano
    1.5: bien esperanza crack interesante
    1.0: ok facil
    -1.0: raro
    -1.5: problema problemas aburrido aburrida culpa perder perdio preocupado preocupada
    -1.8: mal miedo crisis lastima tonto tonta
    -2.0: enfadado enfadada enojado enojada harto harta mentira injusto dolor llorar lloro robo
    -2.2: malo mala malos malas triste tristes decepcion decepcionado decepcionada muerto muertos sufrir
    -2.3: tristeza verguenza estupido estupida idiota fracaso guerra morir mentiroso cabreado
    -2.5: peor peores terrible terribles mierda fatal muerte corrupcion corrupto corruptos ladron ladrones
    -2.5: basura desgracia
    -2.8: asco asqueroso asquerosa imbecil matar odia
    -3.0: horrible horribles pesimo pesima odio odiar
    3.0: fenomenal
    2.8: buenisimo buenisima maravilla felicitaciones
    2.3: exitos triunfo encantador encantadora agradecido agradecida
    2.2: guay orgullosa orgulloso emocionante bonitos bonitas
    2.0: mola molan felicito campeon campeones orgullo disfrutar disfruta disfrutando disfrute amable
    2.0: bendiciones bendicion bendecido besos beso ilusion emocionado emocionada genio idolo lujo sonrisa ole
    1.8: gracioso graciosa agradecer abrazo abrazos recomiendo recomendable favorito favorita
    1.5: paz suerte viva reir risa
    1.0: tranquilo tranquila
    -1.2: cansado cansada
    -1.5: tonterias enfermo enferma pesado pesada desempleo perdimos perdieron carajo
    -1.8: molesto molesta falso falsa hambre absurdo
    -2.0: enfado cabreo mentiras robar roban heridos ataque llorando derrota pobreza
    -2.2: engano cobarde inutil inutiles jodido jodida
    -2.3: indignado indignada indignacion rabia ira mentirosos incompetente deprimido deprimida depresion
    -2.3: decepcionante
    -2.5: vergonzoso indignante patetico patetica insoportable
    -2.5: tragedia terror violencia crimen pendejo pendeja
    -2.5: cabron porqueria lamentable desgraciado fracasado sufrimiento
    -2.7: estafa desastre catastrofe
    -2.8: espantoso terrorismo imbeciles
    -3.0: malisimo malisima horroroso horrorosa atentado asesino asesinos asesinato gilipollas
    3.0: encanto encantaron espectacular espectaculares magnifico magnifica maravillosos maravillosas
    2.8: exitazo bellisimo bellisima fantasticos fantasticas increibles
    2.5: amamos aman adoro adoramos hermosos hermosas preciosos preciosas divertidisimo chulisimo
    2.2: alegra alegro alegran contentos contentas agradable agradables simpatico simpatica carino
    2.0: queridos queridas querido querida disfrutamos disfrutado disfruten ganamos ganado exitoso exitosa
    2.0: logro logrado bienvenido bienvenida bienvenidos besito besitos abracito chulo chula top
    2.0: gusto gustado gustaron gustaba felicitar triunfar
    1.8: buen
    1.5: animo calma tranquilidad
    1.0: gran ojala saludos
    -1.5: cansancio lento lenta dificil estres estresado estresada nervioso nerviosa queja quejas
    -1.5: falla fallo fallos error errores roto rota averia retraso retrasos
    -1.8: pena preocupa preocupante duele dolio enfermedad agobio agobiado agobiada lamentablemente
    -1.8: desgraciadamente tristemente cagar cutre feo fea feos feas peligro peligroso
    -2.0: odioso odiosa insulto insultos ridiculo ridicula ridiculos llora lloran injusticia abuso abusos
    -2.0: robaron mentir joder jodidos decepciona decepcionan enojo enoja cagada hartos hartas luto
    -2.2: sufriendo muere murio fallecio cansados cansadas
    -2.3: penoso penosa timo
    -2.5: asquerosos inaceptable intolerable vergonzosa mato matan
    -2.7: desastroso desastrosa nefasto nefasta estafadores
    -2.8: odian odiamos odiaba
    -3.0: pesimos pesimas asesinan
    """,
    "de": """
    3.0: wunderbar wunderschoen perfekt hervorragend ausgezeichnet genial fantastisch grossartig
    2.8: gluecklich glueckwunsch
    2.5: super toll tolle tollen toller tolles klasse spitze geil geile geiler geiles liebe lieben freude
    2.5: juhu hurra gratulation
    2.3: prima dankbar erfolg lecker beste besten bester
    2.2: schoen schoene schoenen schoener schoenes freue freuen erfolgreich
    2.0: danke sieg gewonnen huebsch spass
    1.8: lustig witzig cool
    1.5: gut gute guten guter gutes mag gerne besser
    1.0: gern endlich ok
    -1.2: muede frech
    -1.5: problem probleme fehler leider unmoeglich
    -1.8: schade angst langweilig verloren verlieren krank heulen
    -2.0: mist doof nervt nervig aerger aergerlich peinlich luege weinen sauer boese ungerecht versagt
    -2.0: verdammt uebel schmerzen falsch
    -2.2: schlecht schlechte schlechten schlechter schlechtes dumm dumme bloed bloede traurig tot
    -2.3: schlimm schlimmer enttaeuscht enttaeuschend enttaeuschung kacke mies miese idiot idioten krieg
    -2.3: sterben
    -2.5: scheiss wuetend tod eklig ekel kotzen luegner
    -2.8: scheisse ekelhaft katastrophe katastrophal grausam
    -3.0: schrecklich furchtbar hass hasse hassen arschloch
    3.0: wunderbare wunderschoene fantastische grossartige geniale megageil
    2.8: tollste geilste traumhaft
    2.7: perfekte
    2.5: gratuliere begeistert
    2.3: liebevoll
    2.2: supi suess freut freu
    2.0: hammer knaller liebsten lieb niedlich herzlich herzlichen glueck froh empfehlenswert zufrieden stolz
    2.0: gewinner sympathisch
    1.8: spannend empfehle nett nette spassig witzige
    1.5: interessant gewinnen meister willkommen lachen entspannt hoffnung frieden
    -1.2: quatsch
    -1.5: stress sorge sorgen unsinn pech
    -1.8: gestresst krise
    -2.0: peinliche aergert nervige genervt weine schmerz doofe bloedsinn kaputt defekt niederlage
    -2.2: traurige dummen versagen
    -2.3: zorn trauer dummheit verarsche verarscht idiotisch ungluecklich enttaeuschende aetzend
    -2.5: armselig erbaermlich unverschaemt frechheit skandal skandaloes empoerend wut wuetende korrupt
    -2.5: korruption versager tote toten terror gewalt ekelig
    -2.7: desaster betrug betrueger abzocke
    -2.8: getoetet anschlag widerlich
    -3.0: schlechteste schlimmste furchtbare schreckliche grauenhaft abscheulich vollidiot wichser hurensohn
    -3.0: mord moerder
    """,
    "it": """
    3.0: bellissimo bellissima bellissimi bellissime fantastico fantastica meraviglioso meravigliosa stupendo
    3.0: stupenda eccellente magnifico magnifica splendido splendida adoro
    2.8: ottimo ottima ottimi ottime felice felici gioia geniale spettacolare amo
    2.7: perfetto perfetta perfetti perfette
    2.5: amore complimenti bravo brava bravi brave evviva
    2.2: bello bella belli belle spettacolo
    2.0: grazie contento contenta auguri divertente simpatico simpatica successo vittoria migliore migliori
    2.0: sorriso carino carina top
    1.8: buono buona buoni buone piace vinto fortuna
    1.5: bene speranza ridere figo emozione
    1.0: ok grande grandi
    -1.5: problema problemi noioso peccato perso uffa sbagliato
    -1.8: male paura crisi purtroppo inutile
    -2.0: cattivo cattiva ridicolo dolore piangere bugia sconfitta
    -2.2: brutto brutta brutti brutte triste tristi deluso delusa delusione morto morti
    -2.3: tristezza vergogna stupido stupida idiota bugiardo arrabbiato guerra morire fallimento
    -2.5: peggio peggiore merda morte ladro ladri corruzione vergognoso incazzato cretino schifezza terribile
    -2.7: disastro
    -2.8: schifo schifoso schifosa
    -3.0: pessimo pessima orribile odio odiare
    3.0: bravissimo bravissima fantastici meravigliosi felicissimo felicissima fenomenale favoloso favolosa
    3.0: stupendi
    2.8: grandioso felicita
    2.5: adorabile mitico mitica
    2.3: magico magica
    2.2: orgoglioso orgogliosa emozionante
    2.0: contenti allegro allegra orgoglio emozionato divertenti carini gentile ringrazio baci bacio sorridere
    2.0: sorrisi campioni campione
    1.8: dolce ringraziare abbraccio consigliato speciale serenita
    1.5: vincere forza positivo pace
    1.2: finalmente
    -1.2: stanco stanca pesante
    -1.5: nervoso noia noiosa malato povero poveri perdere errore
    -1.8: falso falsi assurdo
    -2.0: piango bugie rubare cazzata cazzate sconfitto
    -2.2: soffrire delusi
    -2.3: rabbia arrabbiata depresso bugiardi incapace incapaci incompetenti stupidi idioti deludente
    -2.5: vergognosa indecente scandalo scandaloso incazzata sofferenza insopportabile corrotti patetico
    -2.5: tragedia terrore violenza
    -2.7: truffa disastroso
    -2.8: vergognatevi odia odiano coglione coglioni schifosi terrorismo uccidere ucciso
    -3.0: bruttissimo bruttissima orrendo orrenda orribili stronzo stronzi attentato
    3.0: fantastiche meravigliose stupende splendidi bravissimi felicissimi
    2.8: buonissimo buonissima meraviglia eccezionale straordinario straordinaria contentissimo spettacolari
    2.5: entusiasta evvai auguroni
    2.2: bellezza perfettamente
    2.0: incredibile piacere piaciuto piaciuta amiamo amato amata ama bacioni risate divertito divertita
    2.0: divertimento vittorie fiero felicemente fortunato fortunata simpatici gentili
    1.8: buon piacciono abbracci
    1.5: sereno serena utile interessante
    1.0: buongiorno buonanotte tranquillo
    -1.0: cavolo
    -1.2: accidenti stanchi
    -1.5: mannaggia noiosi problematico guasto rotto ritardo ritardi preoccupato preoccupata persa
    -1.5: perdiamo sbagliata sbaglio errori disoccupazione
    -1.8: fastidio fastidioso preoccupante pericolo pericoloso sfortunatamente sfortuna inutili assurda
    -1.8: assurdi
    -2.0: stufo stufa ridicola ridicoli stupidaggine piangendo pianto dolori ingiusto ingiusta ingiustizia
    -2.0: ruba rubato pagliaccio pagliacci buffone buffoni scemo scema scemi sfigato cazzo sconfitte
    -2.0: crollo poverta
    -2.2: soffro soffre morta muore
    -2.3: deludenti delude arrabbiati sofferenze tremendo fallito degrado imbroglio
    -2.5: schifezze incazzati terribili squallido squallida vergognosi indegno indegna inaccettabile
    -2.5: odioso odiosa cretini deficiente deficienti mafia mafiosi corrotto
    -2.7: truffatori disastri
    -2.8: pessimi pessime merdoso tristissimo malissimo odiato imbecille imbecilli uccisi uccide
    -3.0: orrende omicidio strage
    """,
    "pt": """
    3.0: maravilhoso maravilhosa excelente fantastico fantastica sensacional adoro
    2.8: otimo otima feliz felizes alegria parabens amo
    2.7: perfeito perfeita
    2.5: lindo linda lindos lindas amor delicia
    2.3: sucesso
    2.2: fofo fofa
    2.0: obrigado obrigada bonito bonita incrivel legal top vitoria melhor melhores divertido divertida
    2.0: gostoso gostosa orgulho
    1.8: bom boa bons boas show engracado sorte querido querida
    1.5: bem gosto gostei gostou gosta ganhou massa esperanca
    1.0: ok
    -1.2: cansado cansada preguica
    -1.5: problema problemas perdeu aff affs
    -1.8: mal medo crise infelizmente droga porra
    -2.0: chato chata irritado absurdo ridiculo injusto dor chorar chorando mentira burro derrota
    -2.2: ruim ruins triste tristes decepcionado decepcionada decepcao chateado chateada morto mortos
    -2.3: tristeza vergonha idiota raiva mentiroso fracasso guerra morrer
    -2.5: pior piores terrivel merda morte corrupto corruptos corrupcao ladrao ladroes nojo lixo babaca otario
    -2.7: desastre
    -2.8: nojento nojenta
    -3.0: pessimo pessima horrivel odeio odio
    3.0: maravilhosos excelentes amei adorei
    2.8: otimos felicidade maravilha
    2.7: perfeitos
    2.5: lindinho lindinha amando arrasou
    2.3: fofinho fofinha arrasa
    2.2: alegre orgulhoso orgulhosa
    2.0: incriveis animado animada campeao bacana valeu agradeco grato grata beijos beijo sorriso
    1.8: beleza engracada especial recomendo abraco abracos
    1.5: vencer venceu ganhar paz rir
    -1.5: cansativo doente perder perdemos erro
    -1.8: chatice falso falsa fome
    -2.0: irritante irritada puto puta chorei choro chatos chatas mentiras golpe roubo roubar roubaram burros
    -2.0: ridicula absurda pqp pobreza
    -2.2: sofrer
    -2.3: deprimido deprimida depressao mentirosos incompetente incompetentes idiotas decepcionante crime
    -2.5: vergonhoso insuportavel sofrimento babacas tragedia terror violencia mortes bosta vsf
    -2.8: detesto odiar matar mataram
    -3.0: horriveis pessimos atentado assassino assassinato fdp
    3.0: maravilhosas sensacionais
    2.8: otimas espetacular
    2.7: perfeitas
    2.5: amamos apaixonado apaixonada lindeza engracadissimo
    2.2: fofos fofas orgulhosos
    2.0: ama legais gostosos curti obg vlw felizmente abencoado abencoada bencao campeoes
    1.8: curtir curtindo merecido
    1.5: gostamos ganhamos melhorou
    1.0: tranquilo
    -1.2: putz
    -1.5: saco falha defeito quebrado atraso atrasado demora cancelado
    -1.8: caralho doenca doi perigo perigoso feio feia feios feias palhaco
    -2.0: burrice idiotice palhacada safado roubando injustica
    -2.2: fodeu fodido decepcionou sofrendo morreu infeliz infelizes
    -2.3: deprimente
    -2.5: chatissimo vergonhosa canalha mata tragico
    -2.8: odeia detestei nojentos
    -3.0: odiei pessimas horrorosa horroroso assassinos
    """,
}

#: Valence of language-independent tokens (laughter, chat abbreviations, English words common in all six
#: languages' posts); emoticons and emoji come from VADER.
SHARED = """
    2.5: love
    2.0: nice thanks yay
    1.8: haha lol lool cool
    1.5: xd mdr ptdr
    -2.0: fail wtf sad
    -2.5: fuck shit
"""

#: Emoji whose VADER description carries no clear sentiment word, or a misleading one.
EMOJI = """
    3.0: 😍 🥰 ❤ 💕 💖 💗 💓 💞 💘 😘 ♥ 🤩
    2.5: 😂 🤣 😊 😁 😃 😄 😀 🥳 🎉 👏 🙌 💪 🔥 ✨ 💯 🏆 😻 💙 💚 💛 💜 🧡 🖤 🤍
    2.0: 👍 👌 😉 🙂 😆 😎 😇 🙏 😋 ☺ ✅ 🎊 🌟 ⭐ 💐 🌹 😸 🤗 🍾 🥂
    1.0: 😅 🤞 😏 😌 😜 😝 😛
    -1.5: 😕 😟 🙄 😬 😳 🤔 😐 😑 😶 😒 😔 😩 😫
    -2.0: 👎 😞 😓 😥 ☹ 🙁 😨 😰 ❌ 🤦 🤷 💀
    -2.5: 😢 😭 😿 💔 😠 😤 😖 😣 🤢 🤮 💩 😱
    -3.0: 😡 🤬 👿
"""

#: Negation cues: the next few words are read in negated form.
NEGATIONS: dict[str, str] = {
    "en": """
        aint arent cannot cant couldnt darent didnt doesnt dont hadnt hasnt havent isnt mightnt mustnt
        neither neednt never none nope nor not nothing nowhere oughtnt shant shouldnt wasnt werent without
        wont wouldnt no nobody ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't isn't
        mightn't mustn't needn't shan't shouldn't wasn't weren't won't wouldn't
    """,
    "fr": "ne n pas jamais rien aucun aucune sans ni",
    "es": "no nunca jamas nada ni sin tampoco ningun ninguno ninguna nadie",
    "de": "nicht kein keine keinen keinem keiner keines nie niemals nichts ohne weder nix",
    "it": "non mai niente nulla senza nessuno nessuna neanche nemmeno neppure",
    "pt": "nao nunca jamais nada nem sem ninguem nenhum nenhuma",
}

#: Intensifiers (positive) and dampeners (negative): they scale the next sentiment word (VADER's B_INCR).
BOOSTERS: dict[str, str] = {
    "en": """
    0.293: absolutely amazingly awfully completely considerably decidedly deeply effing enormously entirely
    0.293: especially exceptionally extremely fabulously flipping flippin freaking fricking frickin frigging
    0.293: friggin fully fuckin fucking greatly hella highly hugely incredibly intensely majorly more most
    0.293: particularly purely quite really remarkably so substantially thoroughly totally tremendously uber
    0.293: unbelievably unusually utterly very super soo
    -0.293: almost barely hardly kinda less little marginally occasionally partly scarcely slightly somewhat
    -0.293: sorta
    """,
    "fr": """
    0.293: tres vraiment trop tellement si hyper grave completement totalement extremement vachement carrement
    0.293: absolument super archi
    -0.293: peu plutot moyennement
    """,
    "es": """
    0.293: muy mucho muchisimo muchisima super tan demasiado realmente sumamente totalmente re bien
    -0.293: poco algo
    """,
    "de": """
    0.293: sehr echt wirklich total voll mega super so extrem besonders absolut richtig unglaublich ganz
    0.293: voellig
    -0.293: etwas bisschen kaum ziemlich
    """,
    "it": """
    0.293: molto tanto troppo davvero veramente proprio cosi super estremamente assolutamente
    -0.293: poco abbastanza
    """,
    "pt": """
    0.293: muito muita muitos muitas tao super demais realmente extremamente totalmente bastante
    -0.293: pouco meio
    """,
}

#: Contrast words: what follows weighs more than what precedes (VADER's "but" rule).
CONTRASTS: dict[str, str] = {
    "en": "but however",
    "fr": "mais cependant pourtant",
    "es": "pero sino",
    "de": "aber jedoch sondern",
    "it": "ma pero tuttavia",
    "pt": "mas porem contudo",
}

#: Valence of a word when negated, where flipping its sign is wrong ("pas terrible" means "not great").
NEGATED: dict[str, str] = {
    "fr": "-1.5: terrible terribles fameux folichon",
}


def parse_valences(block: str) -> dict[str, float]:
    """`valence: word word` lines -> {word: valence}; the first valence given to a word wins."""
    table: dict[str, float] = {}
    for line in block.strip().splitlines():
        value, _, words = line.partition(":")
        for word in words.split():
            table.setdefault(word, float(value))
    return table


#: Customer-service and complaint words VADER and the tables above lack (service failures, waiting), added
#: to each language's valences (VADER's own English valence wins where it has one).
COMPLAINTS: dict[str, str] = {
    "en": """
    -2.0: stranded overbooked unreachable scam scammed
    -1.5: canceled cancelled cancellation delayed rebooked unanswered nonrefundable
    -1.0: waited waiting refund refunds
    -1.5: sarcasm
    """,
    "fr": """
    2.0: satisfait satisfaite satisfaits satisfaites
    -2.0: annule annulee annules annulees injoignable arnaque
    -1.5: retard retards retarde retardee attente rembourse remboursement
    """,
    "es": """
    -2.0: cancelado cancelada cancelaron estafa
    -1.5: retraso retrasos retrasado retrasada esperando reembolso demora
    """,
    "de": """
    -2.0: storniert annulliert abzocke unerreichbar
    -1.5: verspaetung verspaetet warteschleife erstattung wartezeit
    """,
    "it": """
    -2.0: cancellato cancellata annullato annullata truffa
    -1.5: ritardo ritardi attesa rimborso
    """,
    "pt": """
    -2.0: cancelado cancelada golpe
    -1.5: atraso atrasado atrasada esperando reembolso
    """,
}

#: Sarcasm markers (folded; hashtags are read as words): in a text that has one, positive words read as
#: negative ("Love waiting 3 hours on the tarmac #sarcasm").
SARCASM = "sarcasm sarcastic sarcasme sarcastique sarcasmo sarcastico sarkasmus sarkastisch ironia ironie 🙃"

#: Multi-word expressions read as one token (the words joined), with their valence: service complaints
#: ("still on hold"), sarcasm ("thanks for nothing") and "never again". Written folded (lower case, no
#: accents); each matches with or without accents, in any case, across any run of spaces.
PHRASES: dict[str, str] = {
    "en": """
    -2.5: thanks for nothing | thank you for nothing | never again | worst experience
    -2.0: still waiting | still on hold | on hold | no response | no answer | no reply | no one answers
    -2.0: waste of time | waste of money | so much for | hung up on
    -1.5: still no | still not | yet again | once again | not again | oh great | just great | yeah right
    -1.5: hours late | hour delay | hours delay | been waiting
    """,
    "fr": """
    -2.5: merci pour rien | plus jamais | ras le bol
    -2.0: toujours en attente | toujours rien | aucune reponse | sans reponse | j attends toujours
    -1.5: toujours pas | encore une fois | en attente
    """,
    "es": """
    -2.5: gracias por nada | nunca mas
    -2.0: sigo esperando | sin respuesta | ninguna respuesta | todavia esperando
    -1.5: todavia no | aun no | otra vez
    """,
    "de": """
    -2.5: danke fuer nichts | danke fur nichts | nie wieder
    -2.0: warte immer noch | warten immer noch | keine antwort | in der warteschleife
    -1.5: immer noch nicht | immer noch kein | schon wieder
    """,
    "it": """
    -2.5: grazie per niente | grazie di niente | mai piu
    -2.0: ancora in attesa | sto ancora aspettando | nessuna risposta
    -1.5: ancora niente | ancora nulla | di nuovo
    """,
    "pt": """
    -2.5: obrigado por nada | obrigada por nada | nunca mais
    -2.0: ainda esperando | ainda aguardando | sem resposta | nenhuma resposta
    -1.5: ainda nao | de novo | outra vez
    """,
}


def parse_phrases(block: str) -> dict[str, float]:
    """`valence: phrase | phrase` lines -> {phrase: valence}."""
    table: dict[str, float] = {}
    for line in block.strip().splitlines():
        value, _, phrases = line.partition(":")
        for phrase in phrases.split("|"):
            table.setdefault(" ".join(phrase.split()), float(value))
    return table

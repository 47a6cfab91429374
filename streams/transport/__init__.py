"""Faust's consumer transport and its offset bookkeeping: every workaround of Faust/aiokafka internals."""

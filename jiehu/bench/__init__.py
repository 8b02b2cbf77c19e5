"""`jiehu bench`: the real stack under simulated cadres, with baselines measured in the same run."""

"""``python -m backchain demo --distributed``: join the MPI job; only rank 0 prints."""
import os
import sys


def setup():
    """Initialise the process group and silence standard output on ranks other than 0.

    The demo itself is unchanged: ``bc.fit`` and ``bc.evaluate`` shard the data,
    average the gradients and reduce the metrics once the group is initialised.
    """
    from . import _comm

    _comm.init()
    if _comm.rank() != 0:
        sys.stdout = open(os.devnull, "w")
    print(f"data-parallel over MPI: {_comm.world_size()} rank(s); the batch size is per rank, "
          f"{_comm.world_size()} x batch per step in all\n")

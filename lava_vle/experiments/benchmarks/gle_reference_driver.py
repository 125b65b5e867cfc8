"""Times the public GLE reference code, run as it is, in its own environment.

Run by ``lava-vle bench train-speed --gle-code DIR`` with the reference's
interpreter (``--gle-python``), never imported by lava-vle: it needs only
torch and a checkout of https://github.com/unibe-cns/gle-code (GPLv3),
whose modules it imports; nothing of that code is copied here.

The reference's MNIST-1D recipe (``experiments/mnist1d/plastic_e2e.py``):
its ``E2ELagMLPNet`` (1 -> 6 x (17 LE + 36 LI) -> 10, tanh, linear output,
dt 0.2, tau 1.2, prospective errors), cross-entropy, Adam on every time
step at lr 1e-3, batch 100, 360 steps per sequence, trained by its own
``train()`` on random sequences of MNIST-1D's shape, one torch thread.

Protocol: prints ``ready`` once built, then for every line read on stdin
trains one batch and prints one JSON line ``{"wall_s", "cpu_s"}``.

    python gle_reference_driver.py /path/to/gle-code
"""
import contextlib
import io
import json
import sys
import time


def build(gle_code: str):
    sys.path[:0] = [gle_code, f"{gle_code}/experiments/mnist1d"]
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from lib.memory import Slicer
    from lib.utils import get_loss_and_derivative
    from mnist1d_training import train
    from networks import E2ELagMLPNet

    torch.set_num_threads(1)
    loss_fn, loss_deriv = get_loss_and_derivative("ce", "linear")
    E2ELagMLPNet.compute_target_error = loss_deriv  # as plastic_e2e.py does
    with contextlib.redirect_stdout(io.StringIO()):
        model = E2ELagMLPNet(dt=0.2, tau=1.2, prospective_errors=True, n_hidden_layers=6,
                             hidden_fast_size=17, hidden_slow_size=36, phi="tanh",
                             output_phi="linear")
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3 * 72 / 360)
    Slicer.kwargs = {}
    params = {"batch_size": 100, "beta": 1.0, "use_cuda": False,
              "log_interval": 10 ** 9, "checkpoint_interval": 10 ** 9}
    generator = torch.Generator().manual_seed(0)

    def one_batch() -> dict:
        data = TensorDataset(torch.randn(100, 360, generator=generator),
                             torch.randint(0, 10, (100,), generator=generator))
        loader = DataLoader(data, batch_size=100)
        start, start_cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            train(params, Slicer, model, loss_fn, loader, optimizer, 1, None, use_le=True)
        return {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - start_cpu,
                "torch": torch.__version__, "python": sys.version.split()[0]}

    return one_batch


def main() -> None:
    one_batch = build(sys.argv[1])
    print("ready", flush=True)
    for _ in sys.stdin:
        print(json.dumps(one_batch()), flush=True)


if __name__ == "__main__":
    main()

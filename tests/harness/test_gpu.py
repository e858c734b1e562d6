"""GPUs in the sandbox: the chosen devices and the driver's libraries, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.harness.gpu import driver_library_dirs
from podium.harness.runner import RunRequest
from podium.harness.sandbox import BwrapRunner

from .conftest import needs_bwrap

LDCONFIG = """3 libs found in cache `/etc/ld.so.cache'
\tlibnvidia-ml.so.1 (libc6,x86-64) => /run/nvidia/driver/usr/lib64/libnvidia-ml.so.1
\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1
\tlibcudart.so.12 (libc6,x86-64) => /opt/cuda/lib64/libcudart.so.12
"""


def test_the_driver_libraries_are_found_where_the_linker_finds_them() -> None:
    """The driver's own libraries only: a CUDA runtime elsewhere is an environment's."""
    assert driver_library_dirs(LDCONFIG) == [
        "/run/nvidia/driver/usr/lib64",
        "/usr/lib/x86_64-linux-gnu",
    ]


CUDA = """
import ctypes, glob
print("DEVICES", sorted(glob.glob("/dev/nvidia[0-9]*")))
cuda = ctypes.CDLL("libcuda.so.1")
count = ctypes.c_int()
print("INIT", cuda.cuInit(0), cuda.cuDeviceGetCount(ctypes.byref(count)), count.value)
"""


@needs_bwrap
@pytest.mark.skipif(
    not Path("/dev/nvidia0").exists() or not driver_library_dirs(),
    reason="no NVIDIA GPU here (/dev/nvidia0 or the driver's libcuda is absent)",
)
def test_a_sandboxed_run_reaches_the_chosen_gpu_through_the_driver(tmp_path: Path) -> None:
    for name in ("out", "tmp"):
        (tmp_path / name).mkdir()
    (tmp_path / "cuda.py").write_text(CUDA)
    request = RunRequest(command="python cuda.py", workdir=tmp_path, input_dir=None,
                         output_dir=tmp_path / "out", tmp_dir=tmp_path / "tmp",
                         timeout_seconds=600, log_path=tmp_path / "log", max_log_bytes=100_000,
                         gpus=(0,))  # fmt: skip
    result = BwrapRunner().run(request)
    log = (tmp_path / "log").read_text()
    assert result.exit_code == 0, log
    assert "DEVICES ['/dev/nvidia0']" in log and "INIT 0 0 " in log  # cuInit, count: ok

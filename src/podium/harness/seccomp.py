"""The system calls a submission may make, as data, and the filter built from them.

Default deny: the policy is Docker's default seccomp profile (moby/profiles, seccomp
default.json v0.2.3) for a container without extra capabilities, made stricter. A call not
allowed here fails with EPERM, so that a program that probes for a feature degrades instead of
dying; clone3 fails with ENOSYS, so that the C library falls back to clone, whose flags are
checked. The filter is compiled with libseccomp (through pyseccomp) into a BPF program that
bubblewrap loads just before it starts the submission's command.
"""

from __future__ import annotations

import errno
import functools
import os
from dataclasses import dataclass
from typing import Any

from podium.core.errors import PlatformError

# Docker's unconditional allow list, less the calls that adjust the clock (adjtimex,
# clock_adjtime, clock_adjtime64: Docker allows them because without CAP_SYS_TIME they only
# read; we refuse the whole family).
_DOCKER_ALLOWED = """
accept accept4 access alarm bind brk cachestat capget capset chdir chmod chown chown32
clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount listxattr
listxattrat llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock
mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget
msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect
open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free
pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease
pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv
recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat
rename renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending
rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile
sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32
setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt
set_thread_area set_tid_address setuid setuid32 setxattr setxattrat shmat shmctl shmdt shmget
shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat
stat64 statfs statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee
tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat
uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write
writev
arch_prctl modify_ldt
arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls
riscv_flush_icache
"""
ALLOWED: tuple[str, ...] = tuple(_DOCKER_ALLOWED.split())

# The namespace flags of clone(2): a thread or a fork passes, a new namespace does not.
CLONE_NEW_FLAGS = 0x7E020000  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

EQ, LT, GT, MASKED_EQ = "==", "<", ">", "&=="


@dataclass(frozen=True)
class Allowed:
    """A call allowed only when argument `arg` compares to `value` (MASKED_EQ: arg & value == 0)."""

    name: str
    arg: int
    op: str
    value: int


# Docker's argument filters, unchanged.
CONDITIONAL: tuple[Allowed, ...] = (
    Allowed("clone", 0, MASKED_EQ, CLONE_NEW_FLAGS),  # s390 puts flags in argument 1: not ours
    Allowed("socket", 0, LT, 38),  # every family but AF_ALG (38) and AF_VSOCK (40)
    Allowed("socket", 0, EQ, 39),
    Allowed("socket", 0, GT, 40),
    *(  # the Linux personality and its harmless variants; nothing that disables ASLR
        Allowed("personality", 0, EQ, value)
        for value in (0x0, 0x0008, 0x20000, 0x20008, 0xFFFFFFFF)
    ),
)

# Calls refused with another errno than EPERM: the caller's documented fallback is ENOSYS.
ERRNO: dict[str, int] = {"clone3": errno.ENOSYS}

# What a submission may not do, by family: all refused by default (none is in ALLOWED); the
# documentation lists them and the sandbox's tests probe each family.
DENIED: dict[str, tuple[str, ...]] = {
    "kernel keyrings": ("add_key", "keyctl", "request_key"),
    "tracing other processes": (
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "process_madvise",
    ),
    "BPF and performance counters": ("bpf", "perf_event_open"),
    "userfaultfd": ("userfaultfd",),
    "mounts": (
        "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
        "fspick", "move_mount", "open_tree", "mount_setattr",
    ),
    "namespaces": ("unshare", "setns"),  # and clone with a CLONE_NEW* flag, clone3
    "kernel modules": ("init_module", "finit_module", "delete_module"),
    "kexec and reboot": ("kexec_load", "kexec_file_load", "reboot"),
    "setting the clock": (
        "clock_settime", "clock_settime64", "settimeofday", "stime", "adjtimex",
        "clock_adjtime", "clock_adjtime64",
    ),
    "file handles": ("open_by_handle_at",),
    "io_uring": ("io_uring_setup", "io_uring_enter", "io_uring_register"),
    "NUMA placement": ("get_mempolicy", "set_mempolicy", "mbind", "move_pages", "migrate_pages"),
    "the rest of the host": (
        "acct", "swapon", "swapoff", "syslog", "sethostname", "setdomainname", "iopl",
        "ioperm", "quotactl", "quotactl_fd", "lookup_dcookie", "fanotify_init", "vhangup",
        "nfsservctl", "uselib", "lsm_set_self_attr",
    ),
}  # fmt: skip


def describe() -> str:
    """What the filter is, for the record of each run."""
    return (
        f"seccomp filter, default deny (EPERM): Docker's default profile less the clock "
        f"calls ({len(ALLOWED)} names allowed, {len(CONDITIONAL)} argument rules), built with "
        "libseccomp"
    )


@functools.cache
def compiled_filter() -> bytes:
    """The policy as a BPF program for this machine's architecture (cached per process)."""
    try:
        import pyseccomp as sc  # a ctypes binding: it loads libseccomp when imported
    except (ImportError, RuntimeError, OSError) as err:
        raise PlatformError(
            f"the sandbox's system-call filter cannot be built: {err}",
            hint="install libseccomp (apt-get install libseccomp2) and pyseccomp "
            '(a dependency of podium), or set [sandbox] runner = "subprocess" to run '
            "trusted code without a sandbox",
        ) from err

    ops = {EQ: sc.EQ, LT: sc.LT, GT: sc.GT, MASKED_EQ: sc.MASKED_EQ}
    refuse = sc.ERRNO(errno.EPERM)
    policy = sc.SyscallFilter(defaction=refuse)
    policy.set_attr(sc.Attr.ACT_BADARCH, refuse)  # a 32-bit call from a 64-bit process
    for name in ALLOWED:
        _add(policy, sc, sc.ALLOW, name)
    for rule in CONDITIONAL:
        _add(policy, sc, sc.ALLOW, rule.name, sc.Arg(rule.arg, ops[rule.op], rule.value, 0))
    for name, number in ERRNO.items():
        _add(policy, sc, sc.ERRNO(number), name)
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as sink, os.fdopen(read_end, "rb") as source:
        policy.export_bpf(sink)  # a few kB: far below a pipe's buffer
        sink.close()
        return source.read()


def _add(policy: Any, sc: Any, action: int, name: str, *args: Any) -> None:
    """One rule, where libseccomp knows the call on this architecture (a call it does not
    know stays refused by default)."""
    number = sc.resolve_syscall(sc.Arch.NATIVE, name)
    if number == -1:  # __NR_SCMP_ERROR: not a name libseccomp knows
        return
    policy.add_rule(action, number, *args)


def export() -> int:
    """A file descriptor holding the compiled filter from its start, for bwrap --seccomp."""
    fd = os.memfd_create("podium-seccomp", os.MFD_CLOEXEC)
    os.write(fd, compiled_filter())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd

#include "platform/redis/sigpipe_suppression.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "gtest/gtest.h"

namespace orderplatform::redis {
namespace {

bool SigpipeIsPending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool SigpipeIsBlocked() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

TEST(ScopedSigpipeSuppressionTest, WriteToAClosedPeerFailsWithEpipeInsteadOfKillingTheProcess) {
  // The default action (terminate) is what the suppression must defeat; make sure it is in force
  // even if the test runner started us with SIGPIPE ignored.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  struct sigaction previous {};
  ASSERT_EQ(sigaction(SIGPIPE, &default_action, &previous), 0);

  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  close(fds[1]);
  ssize_t written = 0;
  int write_errno = 0;
  {
    ScopedSigpipeSuppression no_sigpipe;
    written = write(fds[0], "x", 1);
    write_errno = errno;
  }
  close(fds[0]);
  sigaction(SIGPIPE, &previous, nullptr);

  EXPECT_EQ(written, -1);
  EXPECT_EQ(write_errno, EPIPE);
  EXPECT_FALSE(SigpipeIsPending()) << "the SIGPIPE raised by the write must be discarded";
  EXPECT_FALSE(SigpipeIsBlocked()) << "the thread's signal mask must be restored";
}

TEST(ScopedSigpipeSuppressionTest, KeepsACallersBlockedSigpipeBlocked) {
  sigset_t sigpipe;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  sigset_t original;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &sigpipe, &original), 0);
  { ScopedSigpipeSuppression no_sigpipe; }
  EXPECT_TRUE(SigpipeIsBlocked());
  pthread_sigmask(SIG_SETMASK, &original, nullptr);
}

// The services ignore SIGPIPE process-wide; then a suppression touches no signal mask (it runs
// around every Redis write). Run on new threads: each thread asks once and remembers.
TEST(ScopedSigpipeSuppressionTest, DoesNothingWhenTheProcessIgnoresSigpipe) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction original {};
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &original), 0);
  bool blocked_inside = true;
  int write_errno = 0;
  std::thread([&] {
    int sockets[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
    close(sockets[1]);
    ScopedSigpipeSuppression no_sigpipe;
    blocked_inside = SigpipeIsBlocked();
    // Still no death: the process ignores SIGPIPE, so the write just fails.
    if (write(sockets[0], "x", 1) == -1) write_errno = errno;
    close(sockets[0]);
  }).join();
  sigaction(SIGPIPE, &original, nullptr);
  EXPECT_FALSE(blocked_inside);
  EXPECT_EQ(write_errno, EPIPE);
  // A thread that asks after the default is back suppresses again.
  bool blocked_after = false;
  std::thread([&] {
    ScopedSigpipeSuppression no_sigpipe;
    blocked_after = SigpipeIsBlocked();
  }).join();
  EXPECT_TRUE(blocked_after);
}

}  // namespace
}  // namespace orderplatform::redis

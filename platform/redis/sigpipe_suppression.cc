#include "platform/redis/sigpipe_suppression.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace orderplatform::redis {
namespace {

bool SigpipeIgnoredProcessWide() {
  struct sigaction current {};
  return sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

}  // namespace

ScopedSigpipeSuppression::ScopedSigpipeSuppression() {
  // Asked once per thread: the disposition is process-wide and set at start-up.
  thread_local const bool ignored = SigpipeIgnoredProcessWide();
  if (ignored) return;
  sigemptyset(&sigpipe_);
  sigaddset(&sigpipe_, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  active_ = !was_pending_;
  if (active_) pthread_sigmask(SIG_BLOCK, &sigpipe_, &old_mask_);
}

ScopedSigpipeSuppression::~ScopedSigpipeSuppression() {
  if (!active_) return;
  const int saved_errno = errno;
  sigset_t pending;
  sigpending(&pending);
  if (sigismember(&pending, SIGPIPE) == 1) {
    const timespec no_wait{0, 0};
    // Bounded: each retry follows an interruption by another signal's handler.
    while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == -1 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  errno = saved_errno;
}

}  // namespace orderplatform::redis

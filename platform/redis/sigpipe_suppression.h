// ScopedSigpipeSuppression: lets a library write to sockets without letting a peer that closed
// the connection kill the process. Private to the Redis client (hiredis writes with write(2)).
//
//   {
//     ScopedSigpipeSuppression no_sigpipe;
//     ssize_t n = write(fd, data, size);  // -1 with errno == EPIPE instead of death by SIGPIPE
//   }
//
// Writing to a socket whose peer has gone raises SIGPIPE, and its default action terminates the
// process. A library must not change the process-wide disposition (SIG_IGN) behind its users'
// backs, so this blocks SIGPIPE in the calling thread only, discards a SIGPIPE raised while it
// was blocked, and restores the thread's signal mask. errno is preserved across the destructor.
//
// Those are four syscalls around every write, 7-8% of a service's CPU in the bench
// (docs/PERFORMANCE.md). A process that ignores SIGPIPE already (the services do, in
// service::BlockShutdownSignals) needs none of them: each thread asks once whether SIGPIPE is
// ignored and, if so, never again. (A process that stops ignoring SIGPIPE later is not noticed
// by threads that asked before.)
#ifndef ORDERPLATFORM_PLATFORM_REDIS_SIGPIPE_SUPPRESSION_H_
#define ORDERPLATFORM_PLATFORM_REDIS_SIGPIPE_SUPPRESSION_H_

#include <signal.h>

namespace orderplatform::redis {

class ScopedSigpipeSuppression {
 public:
  ScopedSigpipeSuppression();
  ~ScopedSigpipeSuppression();

  ScopedSigpipeSuppression(const ScopedSigpipeSuppression&) = delete;
  ScopedSigpipeSuppression& operator=(const ScopedSigpipeSuppression&) = delete;

 private:
  bool active_ = false;  // false: SIGPIPE is ignored process-wide, or was already pending
  sigset_t sigpipe_;
  sigset_t old_mask_;
  // A SIGPIPE already pending belongs to someone else: then nothing is blocked or discarded.
  bool was_pending_ = false;
};

}  // namespace orderplatform::redis

#endif  // ORDERPLATFORM_PLATFORM_REDIS_SIGPIPE_SUPPRESSION_H_

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
  sigset_t sigpipe_;
  sigset_t old_mask_;
  // A SIGPIPE already pending belongs to someone else: then nothing is blocked or discarded.
  bool was_pending_ = false;
};

}  // namespace orderplatform::redis

#endif  // ORDERPLATFORM_PLATFORM_REDIS_SIGPIPE_SUPPRESSION_H_

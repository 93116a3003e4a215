// SIGTERM/SIGINT handling for the services' graceful shutdown.
//
// Call BlockShutdownSignals() first thing in main(), before any thread starts, so every thread
// inherits the mask; then one thread waits in WaitForShutdownSignal() and drives the orderly stop
// (stop consuming, finish in-flight work, commit offsets, exit 0). No async signal handler runs,
// so the shutdown code may lock, log and allocate freely.
//
//   int main() {
//     BlockShutdownSignals();
//     ... start everything ...
//     int signal = WaitForShutdownSignal();
//     ... stop everything ...
//     return 0;
//   }
#ifndef ORDERPLATFORM_PLATFORM_SERVICE_SHUTDOWN_SIGNAL_H_
#define ORDERPLATFORM_PLATFORM_SERVICE_SHUTDOWN_SIGNAL_H_

namespace orderplatform::service {

void BlockShutdownSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace orderplatform::service

#endif  // ORDERPLATFORM_PLATFORM_SERVICE_SHUTDOWN_SIGNAL_H_

// Streams to order work on and events to time it.
#pragma once

#include <chrono>

#include "tessel/support/Error.h"

namespace tessel::runtime {

class Driver;

/// An owned CUDA stream. Created non-blocking, so that it does not serialise
/// with the legacy default stream that other libraries in the process use.
/// Needs a current context (Device::open makes one current). A moved-from
/// Stream may only be destroyed or assigned to.
class Stream {
public:
  static Expected<Stream> create();

  Stream(Stream &&other) noexcept;
  Stream &operator=(Stream &&other) noexcept;
  Stream(const Stream &) = delete;
  Stream &operator=(const Stream &) = delete;
  ~Stream();

  /// Waits for the work queued so far; a kernel's fault surfaces here.
  Status synchronize() const;
  /// The stream as a CUstream.
  void *handle() const { return handle_; }

private:
  Stream(const Driver *driver, void *handle) : driver_(driver), handle_(handle) {}
  void reset();

  const Driver *driver_ = nullptr;
  void *handle_ = nullptr;
};

/// An owned CUDA event with timing enabled, for measuring work on a stream.
/// A moved-from Event may only be destroyed or assigned to.
class Event {
public:
  static Expected<Event> create();

  Event(Event &&other) noexcept;
  Event &operator=(Event &&other) noexcept;
  Event(const Event &) = delete;
  Event &operator=(const Event &) = delete;
  ~Event();

  /// Records the event on `stream` (null: the legacy default stream).
  Status record(const Stream *stream = nullptr);
  Status synchronize() const;
  /// Milliseconds from `start` to this event, both recorded and completed
  /// (call synchronize() on this one first). Resolution about 0.5 us.
  Expected<float> elapsedMsSince(const Event &start) const;
  /// The event as a CUevent.
  void *handle() const { return handle_; }

private:
  Event(const Driver *driver, void *handle) : driver_(driver), handle_(handle) {}
  void reset();

  const Driver *driver_ = nullptr; ///< null under the interpreter backend
  void *handle_ = nullptr;
  std::chrono::steady_clock::time_point hostTime_;
};

/// Milliseconds between two completed events: `end.elapsedMsSince(start)`.
inline Expected<float> elapsedMs(const Event &start, const Event &end) {
  return end.elapsedMsSince(start);
}

} // namespace tessel::runtime

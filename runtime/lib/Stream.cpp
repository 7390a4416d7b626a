#include "tessel/runtime/Stream.h"

#include "DriverApi.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Device.h"

#include <utility>

namespace tessel::runtime {

//===----------------------------------------------------------------------===//
// Stream
//===----------------------------------------------------------------------===//

Expected<Stream> Stream::create() {
  // The interpreter runs work as it is queued: its streams are empty.
  if (activeBackend() == Backend::Interpreter)
    return Stream(nullptr, nullptr);
  if (Status s = ensureCurrentContext(); !s)
    return s.error();
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  CUstream handle = nullptr;
  if (Status s =
          check(api, api.streamCreate(&handle, CU_STREAM_NON_BLOCKING), "cuStreamCreate failed");
      !s)
    return s.error();
  return Stream(*driver, handle);
}

Stream::Stream(Stream &&other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)),
      handle_(std::exchange(other.handle_, nullptr)) {}

Stream &Stream::operator=(Stream &&other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Stream::~Stream() { reset(); }

void Stream::reset() {
  // A destructor has no one to report to; the driver releases the stream
  // after its queued work completes, so destroying it early is safe.
  if (handle_)
    (void)driver_->api().streamDestroy(streamHandle(handle_));
  handle_ = nullptr;
}

Status Stream::synchronize() const {
  if (!driver_)
    return Status::success();
  const DriverApi &api = driver_->api();
  return check(api, api.streamSynchronize(streamHandle(handle_)), "cuStreamSynchronize failed");
}

//===----------------------------------------------------------------------===//
// Event
//===----------------------------------------------------------------------===//

Expected<Event> Event::create() {
  // Interpreter backend: events are host timestamps.
  if (activeBackend() == Backend::Interpreter)
    return Event(nullptr, nullptr);
  if (Status s = ensureCurrentContext(); !s)
    return s.error();
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  CUevent handle = nullptr;
  if (Status s = check(api, api.eventCreate(&handle, CU_EVENT_DEFAULT), "cuEventCreate failed"); !s)
    return s.error();
  return Event(*driver, handle);
}

Event::Event(Event &&other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)),
      handle_(std::exchange(other.handle_, nullptr)), hostTime_(other.hostTime_) {}

Event &Event::operator=(Event &&other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    handle_ = std::exchange(other.handle_, nullptr);
    hostTime_ = other.hostTime_;
  }
  return *this;
}

Event::~Event() { reset(); }

void Event::reset() {
  if (handle_)
    (void)driver_->api().eventDestroy(static_cast<CUevent>(handle_));
  handle_ = nullptr;
}

Status Event::record(const Stream *stream) {
  if (!driver_) {
    hostTime_ = std::chrono::steady_clock::now();
    return Status::success();
  }
  const DriverApi &api = driver_->api();
  return check(api,
               api.eventRecord(static_cast<CUevent>(handle_),
                               streamHandle(stream ? stream->handle() : nullptr)),
               "cuEventRecord failed");
}

Status Event::synchronize() const {
  if (!driver_)
    return Status::success();
  const DriverApi &api = driver_->api();
  return check(api, api.eventSynchronize(static_cast<CUevent>(handle_)),
               "cuEventSynchronize failed");
}

Expected<float> Event::elapsedMsSince(const Event &start) const {
  if (!driver_)
    return std::chrono::duration<float, std::milli>(hostTime_ - start.hostTime_).count();
  const DriverApi &api = driver_->api();
  float ms = 0.0f;
  if (Status s = check(api,
                       api.eventElapsedTime(&ms, static_cast<CUevent>(start.handle_),
                                            static_cast<CUevent>(handle_)),
                       "cuEventElapsedTime failed");
      !s)
    return s.error();
  return ms;
}

} // namespace tessel::runtime

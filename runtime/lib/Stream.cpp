#include "tessel/runtime/Stream.h"

#include "DriverApi.h"

#include <utility>

namespace tessel::runtime {

//===----------------------------------------------------------------------===//
// Stream
//===----------------------------------------------------------------------===//

Expected<Stream> Stream::create() {
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
  const DriverApi &api = driver_->api();
  return check(api, api.streamSynchronize(streamHandle(handle_)), "cuStreamSynchronize failed");
}

//===----------------------------------------------------------------------===//
// Event
//===----------------------------------------------------------------------===//

Expected<Event> Event::create() {
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
      handle_(std::exchange(other.handle_, nullptr)) {}

Event &Event::operator=(Event &&other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    handle_ = std::exchange(other.handle_, nullptr);
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
  const DriverApi &api = driver_->api();
  return check(api,
               api.eventRecord(static_cast<CUevent>(handle_),
                               streamHandle(stream ? stream->handle() : nullptr)),
               "cuEventRecord failed");
}

Status Event::synchronize() const {
  const DriverApi &api = driver_->api();
  return check(api, api.eventSynchronize(static_cast<CUevent>(handle_)),
               "cuEventSynchronize failed");
}

Expected<float> Event::elapsedMsSince(const Event &start) const {
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

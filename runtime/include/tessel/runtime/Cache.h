// The compiled-kernel caches: one in memory per process, one on disk shared
// between processes. Neither knows the compiler; callers choose the keys.
#pragma once

#include "tessel/runtime/DiskCache.h"
#include "tessel/runtime/MemoryCache.h"

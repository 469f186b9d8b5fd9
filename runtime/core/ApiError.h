//===- ApiError.h - The C API's per-thread last error, for other API files -*- C++ -*-===//
//
// heed_last_error() reads one thread-local message; entry points defined outside Api.cpp
// (ApiDecode.cpp) set it through these.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_APIERROR_H
#define HEED_RUNTIME_CORE_APIERROR_H

#include "heed/heed.h"

#include <string>

namespace heed::rt {

/// Records `message` as this thread's last error and returns `status`.
heed_status setLastError(heed_status status, const std::string &message);
void clearLastError();

} // namespace heed::rt

#endif // HEED_RUNTIME_CORE_APIERROR_H

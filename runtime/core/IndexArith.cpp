//===- IndexArith.cpp - The plan's index arithmetic -----------------------===//

#include "runtime/core/IndexArith.h"

#include <algorithm>
#include <climits>

namespace {
// Both for b != 0 and (a, b) != (INT64_MIN, -1), which the caller handles: then a / b and a % b
// are defined, and so is the +-1 correction (the quotient is not at the end of the range).
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t ceilDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

bool compare(int64_t predicate, int64_t a, int64_t b, bool &result) {
  uint64_t ua = uint64_t(a), ub = uint64_t(b);
  switch (predicate) {
  case 0:
    result = a == b;
    return true;
  case 1:
    result = a != b;
    return true;
  case 2:
    result = a < b;
    return true;
  case 3:
    result = a <= b;
    return true;
  case 4:
    result = a > b;
    return true;
  case 5:
    result = a >= b;
    return true;
  case 6:
    result = ua < ub;
    return true;
  case 7:
    result = ua <= ub;
    return true;
  case 8:
    result = ua > ub;
    return true;
  case 9:
    result = ua >= ub;
    return true;
  default:
    return false;
  }
}
} // namespace

std::string heed::rt::evalIndexBinary(heed::ops::OpKind k, int64_t predicate, int64_t a, int64_t b,
                                      int64_t &r) {
  using heed::ops::OpKind;
  switch (k) {
  case OpKind::ArithCmpi: {
    bool holds = false;
    if (!compare(predicate, a, b, holds))
      return "has an unknown predicate";
    r = holds ? 1 : 0;
    return "";
  }
  case OpKind::ArithDivsi:
  case OpKind::ArithDivui:
  case OpKind::ArithRemsi:
  case OpKind::ArithRemui:
  case OpKind::ArithCeildivsi:
  case OpKind::ArithFloordivsi:
    if (b == 0)
      return "divides by zero";
    break;
  default:
    break;
  }
  switch (k) {
  case OpKind::ArithAddi:
    r = int64_t(uint64_t(a) + uint64_t(b));
    return "";
  case OpKind::ArithSubi:
    r = int64_t(uint64_t(a) - uint64_t(b));
    return "";
  case OpKind::ArithMuli:
    r = int64_t(uint64_t(a) * uint64_t(b));
    return "";
  case OpKind::ArithDivsi:
    r = (a == INT64_MIN && b == -1) ? a : a / b;
    return "";
  case OpKind::ArithDivui:
    r = int64_t(uint64_t(a) / uint64_t(b));
    return "";
  case OpKind::ArithRemsi:
    r = (b == -1) ? 0 : a % b;
    return "";
  case OpKind::ArithRemui:
    r = int64_t(uint64_t(a) % uint64_t(b));
    return "";
  case OpKind::ArithCeildivsi:
    r = (b == -1) ? int64_t(0 - uint64_t(a)) : ceilDiv(a, b);
    return "";
  case OpKind::ArithFloordivsi:
    r = (b == -1) ? int64_t(0 - uint64_t(a)) : floorDiv(a, b);
    return "";
  case OpKind::ArithMaxsi:
    r = std::max(a, b);
    return "";
  case OpKind::ArithMinsi:
    r = std::min(a, b);
    return "";
  default:
    return "is not an index operation";
  }
}

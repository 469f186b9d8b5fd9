//===- CompileExample.h - Shipped examples compiled for unit tests -*- C++ -*-===//
//
// The runtime and decoder tests run examples/<name>/model.heed compiled in
// process exactly as heed-compile does (cpu target, default pipeline). Needs
// HEED_SOURCE_DIR (the unit test targets define it) and GoogleTest.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TEST_UNIT_COMPILEEXAMPLE_H
#define HEED_TEST_UNIT_COMPILEEXAMPLE_H

#include "compiler/driver/CompileModel.h"

#include <gtest/gtest.h>

#include <string>

/// The module bytes of a shipped example; a failed compile fails the test
/// (diagnostics on stderr) and gives empty bytes.
inline std::string compileExample(const std::string &name) {
  std::string path = std::string(HEED_SOURCE_DIR) + "/examples/" + name + "/model.heed";
  std::string bytes;
  EXPECT_TRUE(
      mlir::succeeded(mlir::heed::compileModel(path, mlir::heed::PipelineOptions(), "cpu", bytes)))
      << path;
  return bytes;
}

#endif // HEED_TEST_UNIT_COMPILEEXAMPLE_H

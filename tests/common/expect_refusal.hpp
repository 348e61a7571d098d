// Test helpers shared by the modules' tests: a call refused with one InputError line.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "hivemind/error.hpp"

namespace hivemind::testing {

// Runs `f`, expects an InputError whose message is one line containing each of `parts`.
template <class F>
void expect_refusal(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    for (const auto& part : parts) EXPECT_NE(what.find(part), std::string::npos) << what;
  }
}

// The message of the InputError `f` throws ("" when it throws none).
template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace hivemind::testing

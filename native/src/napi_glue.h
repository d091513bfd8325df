// N-API glue shared by the addon's entry points (addon.cc: tensors and ops; dist.cc: c10d):
// status checks, argument and value conversions, and the wrapper that turns a C++ exception into a
// JS error with a given code.
#pragma once

#include <node_api.h>

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>
#include <vector>

// Throws when an N-API call does not return napi_ok (guarded() turns it into a JS error).
#define NAPI_OK(call)                                                              \
  do {                                                                             \
    if ((call) != napi_ok) throw std::runtime_error("N-API call failed: " #call); \
  } while (0)

namespace mlc {

// The callback's first `expected` arguments (throws when fewer were passed).
inline std::vector<napi_value> argv(napi_env env, napi_callback_info info, size_t expected) {
  std::vector<napi_value> args(expected);
  size_t n = expected;
  NAPI_OK(napi_get_cb_info(env, info, &n, args.data(), nullptr, nullptr));
  if (n < expected) throw std::invalid_argument("expected " + std::to_string(expected) + " arguments");
  return args;
}

inline double numberOf(napi_env env, napi_value v) {
  double d;
  NAPI_OK(napi_get_value_double(env, v, &d));
  return d;
}

inline std::string stringOf(napi_env env, napi_value v) {
  size_t len = 0;
  NAPI_OK(napi_get_value_string_utf8(env, v, nullptr, 0, &len));
  std::string s(len, '\0');
  NAPI_OK(napi_get_value_string_utf8(env, v, s.data(), len + 1, &len));
  return s;
}

inline napi_value numberValue(napi_env env, double d) {
  napi_value out;
  NAPI_OK(napi_create_double(env, d, &out));
  return out;
}

inline napi_value stringValue(napi_env env, const std::string& s) {
  napi_value out;
  NAPI_OK(napi_create_string_utf8(env, s.data(), s.size(), &out));
  return out;
}

inline napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// Runs `f`; a C++ exception becomes a JS Error with `code` (e.g. MLC_NATIVE_OP, MLC_DIST).
template <typename F>
napi_value guardedWith(napi_env env, const char* code, F&& f) {
  try {
    return f();
  } catch (const c10::Error& e) {
    napi_throw_error(env, code, e.what_without_backtrace());
  } catch (const std::exception& e) {
    napi_throw_error(env, code, e.what());
  }
  return nullptr;
}

}  // namespace mlc

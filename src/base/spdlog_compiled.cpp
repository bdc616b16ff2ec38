// spdlog's implementation, compiled once. Debian ships spdlog as a shared library only and
// vcrun links its libraries statically (CMakeLists.txt), so spdlog used to be header-only:
// every file that logs compiled all of it again (about 10 s of each such file's build at
// -O2 -g). With SPDLOG_COMPILED_LIB the headers only declare, and this file defines, for
// what vcrun uses: the registry and default logger, the pattern formatter, the stderr sink.
#ifndef SPDLOG_COMPILED_LIB
#error "build with SPDLOG_COMPILED_LIB (CMakeLists.txt, vcrun_logging)"
#endif

#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/sinks/stdout_sinks-inl.h>
#include <spdlog/spdlog-inl.h>

// The sink templates vcrun uses, which the headers above define but do not instantiate:
// cmd's sinks (base_sink without a lock: --log's; stderr_sink_st), and the colour sink the
// registry makes for spdlog's default logger.
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;
template class spdlog::sinks::stdout_sink_base<spdlog::details::console_nullmutex>;
template class spdlog::sinks::stderr_sink<spdlog::details::console_nullmutex>;
template class spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;

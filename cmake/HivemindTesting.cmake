# Test helpers shared by every folder with tests (included by the top CMakeLists.txt before any
# of them, python/ included).

# The checker (tests/check_run.py), also for a test that passes arguments the function cannot
# (an empty one) and for the comparison of two methods' `solve --format json` (examples/).
set(HIVEMIND_CHECK_RUN /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/check_run.py)

# A test that runs a command through tests/check_run.py (issue 24): it passes only when the exit
# code is EXIT (default 0) AND the output matches; with EXIT != 0, stderr must be exactly one line
# and stdout empty. (ctest's PASS_REGULAR_EXPRESSION ignores the exit code: no test uses it.)
#   hivemind_checked_test(NAME [EXIT N] [STDOUT REGEX] [STDERR REGEX] [STDOUT_EMPTY]
#                         [STDERR_EMPTY] COMMAND CMD ARGS...)
# REGEX: Python re.search with DOTALL (`.` spans lines, as in CMake's regular expressions).
function(hivemind_checked_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "STDOUT_EMPTY;STDERR_EMPTY" "EXIT;STDOUT;STDERR" "COMMAND")
  if(arg_UNPARSED_ARGUMENTS OR NOT arg_COMMAND)
    message(FATAL_ERROR "hivemind_checked_test(${name}): bad arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(check ${HIVEMIND_CHECK_RUN} run)
  if(DEFINED arg_EXIT)
    list(APPEND check --exit ${arg_EXIT})
  endif()
  if(DEFINED arg_STDOUT)
    list(APPEND check --stdout "${arg_STDOUT}")
  endif()
  if(DEFINED arg_STDERR)
    list(APPEND check --stderr "${arg_STDERR}")
  endif()
  if(arg_STDOUT_EMPTY)
    list(APPEND check --stdout-empty)
  endif()
  if(arg_STDERR_EMPTY)
    list(APPEND check --stderr-empty)
  endif()
  add_test(NAME ${name} COMMAND ${check} -- ${arg_COMMAND})
endfunction()

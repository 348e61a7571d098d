# `cmake --install BUILD --prefix P`: headers, the libraries with their CMake package
# (find_package(hivemind CONFIG) -> hivemind::split, ::model, ::sim, ::experiments and, when
# built, ::runtime), the CLI with its sibling executables (hivemind profile / run exec them from
# the same folder) and data/ (P/share/hivemind/data, where the installed CLI looks first).
include(CMakePackageConfigHelpers)

set(HIVEMIND_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hivemind
    CACHE STRING "Where hivemindConfig.cmake is installed (relative to the prefix)")

# The exported libraries, under the names a user links (hivemind::NAME).
set(hivemind_exported hivemind_core hivemind_model hivemind_sim hivemind_experiments)
set_target_properties(hivemind_core PROPERTIES EXPORT_NAME split)
set_target_properties(hivemind_model PROPERTIES EXPORT_NAME model)
set_target_properties(hivemind_sim PROPERTIES EXPORT_NAME sim)
set_target_properties(hivemind_experiments PROPERTIES EXPORT_NAME experiments)
if(TARGET hivemind_torch_profiler)
  list(APPEND hivemind_exported hivemind_torch_profiler)
  set_target_properties(hivemind_torch_profiler PROPERTIES EXPORT_NAME torch_profiler)
endif()
if(TARGET hivemind_runtime)
  list(APPEND hivemind_exported hivemind_runtime)
  set_target_properties(hivemind_runtime PROPERTIES EXPORT_NAME runtime)
endif()
# Position-independent, so that a user's shared library (or our Python module) can link them.
set_target_properties(${hivemind_exported} PROPERTIES POSITION_INDEPENDENT_CODE ON)

install(TARGETS ${hivemind_exported} EXPORT hivemindTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/hivemind DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT hivemindTargets NAMESPACE hivemind:: DESTINATION ${HIVEMIND_INSTALL_CMAKEDIR})

# What the config file looks for: the dependencies of the libraries that were built.
set(HIVEMIND_PACKAGE_WITH_TORCH OFF)
set(HIVEMIND_PACKAGE_WITH_GRPC OFF)
if(TARGET hivemind_torch_profiler)
  set(HIVEMIND_PACKAGE_WITH_TORCH ON)
endif()
if(TARGET hivemind_runtime)
  set(HIVEMIND_PACKAGE_WITH_GRPC ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hivemindConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hivemindConfig.cmake
                              INSTALL_DESTINATION ${HIVEMIND_INSTALL_CMAKEDIR}
                              PATH_VARS HIVEMIND_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hivemindConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hivemindConfig.cmake
              ${PROJECT_BINARY_DIR}/hivemindConfigVersion.cmake
        DESTINATION ${HIVEMIND_INSTALL_CMAKEDIR})

# The CLI and the executables it runs from its own folder (apps/hivemind/sibling.cpp).
foreach(exe hivemind hivemind-profile hivemind-profile-onnx hivemind-node hivemind-run)
  if(TARGET ${exe})
    install(TARGETS ${exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/ DESTINATION ${HIVEMIND_INSTALL_DATADIR})

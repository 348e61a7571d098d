# HiveMind quick start: `make demo` and `make test` (see README.md).
# Both install what is missing from Debian's packages (as root, skipped when present),
# configure, build and run. Nothing is downloaded at build or run time beyond apt.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Core: compiler, CMake, JSON, tests and benchmarks. Heavy extras join the list in the
# module that needs them (they stay out of the core targets).
DEB_PACKAGES ?= g++ cmake make pkg-config nlohmann-json3-dev libgtest-dev libgmock-dev gnuplot-nox \
  libtorch-dev libonnx-dev libprotobuf-dev

.PHONY: all deps build test demo clean bench

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "error: need root to apt-get install$$missing" >&2; exit 2; fi; \
	  (apt-get install -y --no-install-recommends $$missing || \
	   (apt-get update && apt-get install -y --no-install-recommends $$missing)) >/dev/null; \
	fi

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

demo: build
	$(BUILD_DIR)/apps/hivemind/hivemind demo

bench: build
	$(BUILD_DIR)/apps/hivemind/hivemind bench

clean:
	rm -rf $(BUILD_DIR)

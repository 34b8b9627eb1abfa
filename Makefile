# dlstudy build: `make`, `make test`, `make bench`, `make CUDA=1`,
# `make test SAN=address,undefined`, `make install PREFIX=/usr/local`, `make uninstall`.
# Three archives, one per layer, so that each layer links only what is below it:
#   build/libnn.a    util/ + engine/         (the engine, usable alone)
#   build/libstudy.a study/ + schema.sql     (notes, store, scheduler, labs)
#   build/libtui.a   tui/ except main.c      (command line and screens)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CUDA_HOME ?= /usr/local/cuda
CFLAGS    ?= -O2 -g
PKGS      ?= ncursesw libcmark yaml-0.1 sqlite3 openblas zlib

ifneq ($(MAKECMDGOALS),clean)
ifneq ($(shell pkg-config --exists $(PKGS) && echo yes),yes)
$(error missing libraries: pkg-config cannot find all of "$(PKGS)". Run `sh tools/bootstrap.sh deps` (Debian) to install them)
endif
endif

DATADIR   := $(PREFIX)/share/dlstudy
DLS_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -MMD -MP -I. -Ibuild \
              $(shell pkg-config --cflags $(PKGS)) \
              -DDLS_VERSION='"$(VERSION)"' -DDLS_DATADIR='"$(DATADIR)"' $(CFLAGS)
LDLIBS    += $(shell pkg-config --libs $(PKGS)) -lm -lpthread

NN_SRC    := $(wildcard util/*.c engine/*.c engine/*/*.c)
STUDY_SRC := $(wildcard study/*.c)
TUI_SRC   := $(filter-out tui/main.c,$(wildcard tui/*.c tui/*/*.c))
NN_OBJ    := $(NN_SRC:%.c=build/%.o)
STUDY_OBJ := $(STUDY_SRC:%.c=build/%.o) build/gen/schema.o build/gen/template.o
TUI_OBJ   := $(TUI_SRC:%.c=build/%.o)

ifeq ($(CUDA),1)
  DLS_CFLAGS += -DDLS_CUDA
  NVCCFLAGS  ?= -O3 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
                -gencode arch=compute_90,code=compute_90
  NN_OBJ     += $(patsubst %.cu,build/%.o,$(wildcard engine/cuda/*.cu))
  LDLIBS     += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudart -lcublas -lstdc++
endif
ifdef SAN
  DLS_CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS    += -fsanitize=$(SAN)
endif

# The build's configuration: every object depends on build/config, which is rewritten
# only when the compiler, flags, CUDA or sanitizer settings differ from the last build,
# so switching between `make`, `make CUDA=1` and `make SAN=...` rebuilds instead of
# linking objects that were made the other way.
# make -n expands recipes too: it must write nothing
DRY_RUN := $(findstring n,$(firstword -$(MAKEFLAGS)))
same = $(and $(findstring $(1),$(2)),$(findstring $(2),$(1)))
BUILD_CONFIG := $(strip $(CC) $(DLS_CFLAGS) $(LDFLAGS) $(LDLIBS) $(if $(filter 1,$(CUDA)),$(NVCC) $(NVCCFLAGS)))

# Tests: tests/engine/ link the engine alone, tests/study/ the study core, tests/tui/ all.
ENGINE_TESTS := $(patsubst %.c,build/%,$(wildcard tests/engine/test_*.c))
STUDY_TESTS  := $(patsubst %.c,build/%,$(wildcard tests/study/test_*.c))
TUI_TESTS    := $(patsubst %.c,build/%,$(wildcard tests/tui/test_*.c))
TESTS        := $(ENGINE_TESTS) $(STUDY_TESTS) $(TUI_TESTS)
SCRIPT_TESTS := $(sort $(wildcard tests/*.sh tests/*/*.sh))

.PHONY: all test bench install uninstall clean FORCE
# A recipe that fails must not leave its half-written target behind (embed.sh writes
# build/gen/*.c through a redirect): the next make would take it as up to date.
.DELETE_ON_ERROR:
all: dlstudy

# Checked on every run; rewritten (so newer than the objects) only when it differs.
build/config: FORCE
	$(if $(call same,$(BUILD_CONFIG),$(file <$@))$(DRY_RUN),,$(shell mkdir -p $(@D))$(file >$@,$(BUILD_CONFIG)))@:
FORCE:

dlstudy: build/tui/main.o build/libtui.a build/libstudy.a build/libnn.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

build/libnn.a: $(NN_OBJ)       ; @rm -f $@ && $(AR) rcs $@ $^
build/libstudy.a: $(STUDY_OBJ) ; @rm -f $@ && $(AR) rcs $@ $^
build/libtui.a: $(TUI_OBJ)     ; @rm -f $@ && $(AR) rcs $@ $^

build/%.o: %.c build/config
	@mkdir -p $(@D)
	$(CC) $(DLS_CFLAGS) -c $< -o $@
build/%.o: %.cu build/config
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -MMD -MP -I. -Xcompiler -fPIC -c $< -o $@

# schema.sql and the note template are compiled into the program, so the database and
# `dlstudy new` come from the one file each.
build/gen/%.c: tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh $(EMBED_$*) $(EMBED_SYM_$*) > $@
EMBED_schema       := schema.sql
EMBED_SYM_schema   := dls_schema_sql
EMBED_template     := notes/.template.md
EMBED_SYM_template := dls_note_template
build/gen/schema.c: schema.sql
build/gen/%.o: build/gen/%.c build/config
	$(CC) $(DLS_CFLAGS) -c $< -o $@
build/gen/template.c: notes/.template.md

build/tests/engine/%: tests/engine/%.c build/libnn.a
	@mkdir -p $(@D)
	$(CC) $(DLS_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
build/tests/study/%: tests/study/%.c build/libstudy.a build/libnn.a
	@mkdir -p $(@D)
	$(CC) $(DLS_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
build/tests/tui/%: tests/tui/%.c build/libtui.a build/libstudy.a build/libnn.a
	@mkdir -p $(@D)
	$(CC) $(DLS_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Runs every test binary and script; each prints "name: N passed, N failed, N skipped";
# tools/run-tests.sh adds them up into the one closing line and the exit status.
test: dlstudy $(TESTS)
	@sh tools/run-tests.sh $(TESTS) $(SCRIPT_TESTS)

bench: dlstudy
	@sh bench/run.sh

install: dlstudy
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/share/man/man1 \
	        $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 dlstudy $(DESTDIR)$(PREFIX)/bin/dlstudy
	rm -rf $(DESTDIR)$(DATADIR)/notes $(DESTDIR)$(DATADIR)/labs
	cp -R notes labs $(DESTDIR)$(DATADIR)/
	[ ! -f dlstudy.1 ] || install -m 644 dlstudy.1 $(DESTDIR)$(PREFIX)/share/man/man1/dlstudy.1
	[ ! -f tools/dlstudy.bash ] || install -m 644 tools/dlstudy.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dlstudy

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/dlstudy $(DESTDIR)$(PREFIX)/share/man/man1/dlstudy.1 \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dlstudy
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build dlstudy

# The compiler writes the .d files; this empty rule keeps make from looking for a way to
# remake them (with `make -B` it used build/gen/%.c and ran embed.sh to make "schema.d.c").
build/%.d: ;
-include $(shell find build -name '*.d' 2>/dev/null)

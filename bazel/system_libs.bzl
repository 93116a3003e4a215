"""Generates @system: one cc_library per Debian system library, from pkg-config.

Headers live in /usr/include, which the default toolchain already searches, so each generated
library carries only link flags (`linkopts`) and preprocessor defines. A target depends on
`@system//:rdkafka` instead of repeating flags, and a missing -dev package fails here, at
repository time, with the package's pkg-config name in the message.
"""

# Bazel target name -> (pkg-config modules, extra link flags).
_LIBRARIES = {
    "absl": ([
        "absl_flags",
        "absl_flags_parse",
        "absl_flags_usage",
        "absl_hash",
        "absl_random_random",
        "absl_raw_hash_set",
        "absl_status",
        "absl_statusor",
        "absl_str_format",
        "absl_strings",
        "absl_synchronization",
        "absl_time",
    ], []),
    "gmock": (["gmock"], []),
    # Debian builds cpp-httplib as a shared library with OpenSSL, zlib and brotli support; its
    # pkg-config flags carry the matching CPPHTTPLIB_* defines, which every user must share.
    "httplib": (["cpp-httplib"], []),
    "grpc++": (["grpc++", "protobuf"], []),
    "grpc++_reflection": (["grpc++", "protobuf"], ["-lgrpc++_reflection"]),
    "gtest": (["gtest"], []),
    "gtest_main": (["gtest_main", "gmock"], []),
    "hiredis": (["hiredis"], []),
    "protobuf": (["protobuf"], []),
    "rdkafka": (["rdkafka"], []),
}

def _pkg_config(ctx, flag, modules):
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed (run tools/setup.sh): %s" %
             (flag, " ".join(modules), result.stderr))
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _dedupe_keep_last(flags):
    # Static-link order wants each -l after its users; keeping the last copy preserves that.
    seen = {}
    out = []
    for flag in reversed(flags):
        if flag and flag not in seen:
            seen[flag] = True
            out.append(flag)
    return list(reversed(out))

def _system_libraries_impl(ctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name in sorted(_LIBRARIES.keys()):
        modules, extra = _LIBRARIES[name]
        cflags = _pkg_config(ctx, "--cflags", modules)
        libs = extra + _pkg_config(ctx, "--libs", modules)
        defines = [f[2:] for f in cflags if f.startswith("-D")]
        lines.append("cc_library(")
        lines.append('    name = "%s",' % name)
        lines.append("    defines = %s," % repr(_dedupe_keep_last(defines)))
        lines.append("    linkopts = %s," % repr(_dedupe_keep_last(libs)))
        lines.append(")")
        lines.append("")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", "\n".join(lines))

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    doc = "Wraps Debian's system libraries as cc_library targets using pkg-config.",
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)

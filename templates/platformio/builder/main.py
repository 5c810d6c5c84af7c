# SCons build script of tinygen's offline PlatformIO platform: compiles src/ with the board's
# machine flags, links with the project's linker script, and makes .elf, .hex and .bin. The compiler is
# arm-none-eabi-gcc from PATH, or from a toolchain package named in platform_packages (PlatformIO puts
# its bin/ on PATH).
import sys
from os.path import join

from SCons.Script import Builder, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()
machine_flags = board.get("build.machine_flags")

env.Replace(
    AR="arm-none-eabi-ar", AS="arm-none-eabi-as", CC="arm-none-eabi-gcc", CXX="arm-none-eabi-g++",
    OBJCOPY="arm-none-eabi-objcopy", RANLIB="arm-none-eabi-ranlib", SIZETOOL="arm-none-eabi-size",
    PROGNAME="firmware", PROGSUFFIX=".elf",
    LDSCRIPT_PATH=join("$PROJECT_DIR", board.get("build.ldscript")),
)
env.Append(
    ASFLAGS=machine_flags,
    CCFLAGS=machine_flags + ["-O2", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
                             "-fno-tree-loop-distribute-patterns", "-fcallgraph-info=su"],
    CFLAGS=["-std=c11"],
    LINKFLAGS=machine_flags + ["-nostartfiles", "-Wl,--gc-sections", "-Wl,-T,$LDSCRIPT_PATH",
                               "-Wl,-Map," + join("$BUILD_DIR", "firmware.map")],
    LIBS=["c", "gcc"],
    BUILDERS={
        "ElfToBin": Builder(action="$OBJCOPY -O binary $SOURCES $TARGET", suffix=".bin"),
        "ElfToHex": Builder(action="$OBJCOPY -O ihex $SOURCES $TARGET", suffix=".hex"),
    },
)

if not env.WhereIs("$CC"):
    sys.stderr.write("Error: arm-none-eabi-gcc is not on PATH. Install the GNU Arm toolchain (Debian/Ubuntu: "
                     "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi) or name a toolchain package in "
                     "platformio.ini (platform_packages = platformio/toolchain-gccarmnoneeabi, needs internet).\n")
    env.Exit(1)

program = env.BuildProgram()
Default([program, env.ElfToBin(join("$BUILD_DIR", "${PROGNAME}"), program),
         env.ElfToHex(join("$BUILD_DIR", "${PROGNAME}"), program)])

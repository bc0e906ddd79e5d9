# The wheel's tag: py3-none-<platform>. The engine is a native library (Native AOT) that links no libpython, so one
# wheel serves every CPython 3.8-3.14, but only on the platform it was built for: wheels/build.sh reads the glibc
# floor of the library (the highest GLIBC_ symbol version it needs) and passes the honest manylinux tag here.
import os

from setuptools import Distribution, setup
from wheel.bdist_wheel import bdist_wheel


class NativeDistribution(Distribution):
    def has_ext_modules(self):
        return True                     # a native library inside: platlib, Root-Is-Purelib false


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        tag = os.environ.get("MULTIPROCESS_DOTNET_PLATFORM_TAG")
        if not tag:
            raise SystemExit("setup.py: MULTIPROCESS_DOTNET_PLATFORM_TAG is not set: build the wheel with wheels/build.sh")
        return "py3", "none", tag


setup(distclass=NativeDistribution, cmdclass={"bdist_wheel": PlatformWheel})

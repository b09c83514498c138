"""mmwidth: network width search for OpenMMLab (BCNet, BCNetV2, CafeNet, Dagger, AutoSlim)."""
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent


def read_requirements(name: str) -> list:
    lines = (ROOT / 'requirements' / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def read_version() -> str:
    namespace: dict = {}
    exec((ROOT / 'mmwidth' / 'version.py').read_text(), namespace)
    return namespace['__version__']


setup(
    name='mmwidth',
    version=read_version(),
    description='Network width search for OpenMMLab: one-shot width supernets, search and export',
    long_description=(ROOT / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects', 'benchmarks')),
    include_package_data=True,
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'mim': read_requirements('mminstall.txt'),
        'tests': read_requirements('tests.txt'),
        'seg': read_requirements('seg.txt'),
        'pose': read_requirements('pose.txt'),
        'latency': read_requirements('latency.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)

from setuptools import find_packages, setup

with open("README.md", encoding="utf-8") as readme:
    long_description = readme.read()

setup(
    name="pumpctl",
    version="2.3.0",
    description="Irrigation pump control through the vendor gateway",
    long_description=long_description,
    long_description_content_type="text/markdown",
    author="Field Systems",
    packages=find_packages(exclude=["tests", "tests.*"]),
    python_requires=">=3.8",
    install_requires=["tenacity~=8.2.0"],
    extras_require={
        "test": ["pytest>=7.4", "pytest-mock>=3.10"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
    ],
)

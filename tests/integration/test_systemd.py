#!/usr/bin/env python3
from harness import run
run([])

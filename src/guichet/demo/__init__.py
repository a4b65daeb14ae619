"""Demo data: a believable year of a French online home-goods shop's customer service.

`guichet demo` (core/management/commands/demo.py) calls demo.run.demo_generate. The generator
(demo.generator) writes each case's story as a list of service calls (demo.plans); demo.writer
carries them out through the cases services, demo.bulk writes the same rows in batches for
benchmarks. Not a Django app: it has no models."""

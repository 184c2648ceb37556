# One ctest per corpus case (userland/corpus/manifest.json), run by the harness.

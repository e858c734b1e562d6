"""The baseline kit (optional extra `podium[baseline]`): one multilingual multi-task encoder.

Importing this package is cheap on purpose: torch, transformers and lightning are imported by
the modules that need them, so the core platform never pays for them.

Modules that a packaged submission runs (`windows`, `encoding`, `batching`, `bert`, `network`,
`inference`) import only the standard library, torch, transformers and tokenizers, and each
other by relative imports: packaging copies them verbatim, so the submission runs exactly the
code that training validated.
"""

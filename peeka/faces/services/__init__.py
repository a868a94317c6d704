"""Writes about faces, one module per use case: `enrollment` (templates in and out),
`matching` (a probe against templates, upgrading templates that ask for it), `challenges`
(liveness challenges' single-use state). The flows in `peeka.faces.flows` put them together
with the throttles and the audit log."""

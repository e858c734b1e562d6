"""A competition's configuration: competition.toml as models (`spec`), its
[tasks] (`taskspec`) and [notify] (`channels`) tables, the commented file
`podium init` writes (`template`), and the folder layout (`layout`)."""

-- Creator lifecycle (issue 10): the job queue never claims a disabled creator's jobs, so every claim
-- asks which creators are disabled; few are, and this index answers without reading the others.
CREATE INDEX creators_disabled ON creators (id) WHERE state = 'disabled';

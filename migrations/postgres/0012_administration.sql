-- Administration: the organisations that operate clients (mandataires), the territorial
-- partners that publish within a perimeter (chefs de file), the links of a client to both, and
-- what the statistics and `/last-revisions` read.

CREATE TABLE mandataires (
    id         TEXT PRIMARY KEY,
    nom        TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- `perimeters`: a JSON array of {type: commune|departement|epci, code}.
CREATE TABLE chefs_de_file (
    id                    TEXT PRIMARY KEY,
    nom                   TEXT NOT NULL,
    email                 TEXT NOT NULL,
    is_email_public       BOOLEAN NOT NULL DEFAULT FALSE,
    is_signataire_charte  BOOLEAN NOT NULL DEFAULT FALSE,
    perimeters            JSONB NOT NULL DEFAULT '[]',
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

-- A client created before this migration keeps its mandataire's name in `mandataire` and its
-- own `perimeters`; once linked, the mandataire's name and the chef de file's perimeters are
-- read instead. `legacy_id`: the fixed id of the platform's own clients (`mes-adresses`,
-- `moissonneur-bal`…), which the statistics count apart.
ALTER TABLE clients ADD COLUMN mandataire_id TEXT REFERENCES mandataires (id);
ALTER TABLE clients ADD COLUMN chef_de_file_id TEXT REFERENCES chefs_de_file (id);
ALTER TABLE clients ADD COLUMN legacy_id TEXT;
ALTER TABLE clients ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE clients SET updated_at = created_at;
CREATE UNIQUE INDEX clients_legacy_id ON clients (legacy_id);
CREATE INDEX clients_chef_de_file ON clients (chef_de_file_id);

-- Whether the revision's file was valid when computed (NULL: not computed), for the lists that
-- do not read the validation report.
ALTER TABLE revisions ADD COLUMN is_valid BOOLEAN;
UPDATE revisions SET is_valid = (validation ->> 'valid')::boolean
WHERE validation IS NOT NULL AND jsonb_typeof(validation -> 'valid') = 'boolean';
-- The statistics read publications by date.
CREATE INDEX revisions_published ON revisions (published_at) WHERE published_at IS NOT NULL;

-- Clients own orders. Until API keys exist every request acts as the seeded client `default`.
CREATE TABLE client (
    id         TEXT PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{1,64}$'),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO client (id) VALUES ('default');

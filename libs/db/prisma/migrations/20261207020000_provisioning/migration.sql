-- The provisioning service (services/provisioning): trunks, domains, users (digest HA1 hashes only, never a
-- password), routes (the dial plan) and the audit of every change. PostgreSQL is the record; each committed
-- change is also put into the NATS KV bucket CALLCTL_PROVISIONING that every sip-edge watches. A route keeps
-- its trunk and a user its domain (ON DELETE RESTRICT): deleting one still in use is refused.
CREATE TABLE "provisioning_trunk" (
    "name" TEXT NOT NULL,
    "inbound_sources" TEXT[],
    "gateways" JSONB NOT NULL,
    "auth_username" TEXT,
    "auth_password_sealed" TEXT,
    "registration" JSONB,
    "number_patterns" TEXT[],
    "caller_id" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "provisioning_trunk_pkey" PRIMARY KEY ("name")
);

CREATE TABLE "provisioning_domain" (
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "provisioning_domain_pkey" PRIMARY KEY ("name")
);

CREATE TABLE "provisioning_user" (
    "domain" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "ha1_md5" TEXT NOT NULL,
    "ha1_sha256" TEXT NOT NULL,
    "allowed_codecs" TEXT[],
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "provisioning_user_pkey" PRIMARY KEY ("domain","username")
);

CREATE TABLE "provisioning_route" (
    "name" TEXT NOT NULL,
    "pattern" TEXT NOT NULL,
    "trunk" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "provisioning_route_pkey" PRIMARY KEY ("name")
);

CREATE TABLE "provisioning_audit" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,

    CONSTRAINT "provisioning_audit_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "provisioning_route_trunk_idx" ON "provisioning_route"("trunk");

CREATE INDEX "provisioning_audit_kind_key_id_idx" ON "provisioning_audit"("kind", "key", "id" DESC);

ALTER TABLE "provisioning_user" ADD CONSTRAINT "provisioning_user_domain_fkey" FOREIGN KEY ("domain") REFERENCES "provisioning_domain"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "provisioning_route" ADD CONSTRAINT "provisioning_route_trunk_fkey" FOREIGN KEY ("trunk") REFERENCES "provisioning_trunk"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

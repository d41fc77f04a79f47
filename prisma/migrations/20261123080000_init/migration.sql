-- CreateEnum
CREATE TYPE "TokenKind" AS ENUM ('short_lived', 'long_lived');

-- CreateEnum
CREATE TYPE "ConnectionStatus" AS ENUM ('active', 'expired', 'invalid', 'revoked');

-- CreateTable
CREATE TABLE "connections" (
    "ig_user_id" TEXT NOT NULL,
    "app_scoped_id" TEXT,
    "professional_id" TEXT,
    "owner_id" TEXT,
    "username" TEXT,
    "scopes" TEXT[],
    "token_kind" "TokenKind" NOT NULL,
    "status" "ConnectionStatus" NOT NULL DEFAULT 'active',
    "token_ciphertext" BYTEA,
    "token_key_id" TEXT,
    "token_issued_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "last_refreshed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "connections_pkey" PRIMARY KEY ("ig_user_id")
);

-- CreateTable
CREATE TABLE "oauth_states" (
    "state_hash" TEXT NOT NULL,
    "owner_id" TEXT,
    "return_to" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "consumed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oauth_states_pkey" PRIMARY KEY ("state_hash")
);

-- CreateTable
CREATE TABLE "token_reveals" (
    "id" BIGSERIAL NOT NULL,
    "ig_user_id" TEXT NOT NULL,
    "api_key_name" TEXT NOT NULL,
    "revealed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "token_reveals_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "connections_status_ig_user_id_idx" ON "connections"("status", "ig_user_id");

-- CreateIndex
CREATE INDEX "connections_owner_id_ig_user_id_idx" ON "connections"("owner_id", "ig_user_id");

-- CreateIndex
CREATE INDEX "connections_app_scoped_id_idx" ON "connections"("app_scoped_id");

-- CreateIndex
CREATE INDEX "connections_professional_id_idx" ON "connections"("professional_id");

-- CreateIndex
CREATE INDEX "oauth_states_expires_at_idx" ON "oauth_states"("expires_at");

-- CreateIndex
CREATE INDEX "token_reveals_ig_user_id_revealed_at_idx" ON "token_reveals"("ig_user_id", "revealed_at");

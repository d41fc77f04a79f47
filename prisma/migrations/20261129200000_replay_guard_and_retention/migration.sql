-- AlterTable
ALTER TABLE "connections" ADD COLUMN     "consented_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- The latest consent of a connection made before this column is unknown; its first consent is a
-- safe lower bound (the default, the time of this migration, would ignore earlier callbacks).
UPDATE "connections" SET "consented_at" = "created_at";

-- CreateTable
CREATE TABLE "processed_signed_requests" (
    "request_hash" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "confirmation_code" TEXT,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "processed_signed_requests_pkey" PRIMARY KEY ("request_hash","kind")
);

-- CreateIndex
CREATE INDEX "processed_signed_requests_expires_at_idx" ON "processed_signed_requests"("expires_at");

-- CreateIndex
CREATE INDEX "token_reveals_revealed_at_idx" ON "token_reveals"("revealed_at");

-- CreateIndex
CREATE INDEX "data_deletion_requests_completed_at_idx" ON "data_deletion_requests"("completed_at");

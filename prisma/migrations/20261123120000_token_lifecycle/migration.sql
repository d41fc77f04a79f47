-- AlterTable
ALTER TABLE "connections" ADD COLUMN     "last_refresh_error" TEXT,
ADD COLUMN     "last_refresh_error_at" TIMESTAMPTZ(3),
ADD COLUMN     "lease_expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "lease_owner" TEXT,
ADD COLUMN     "next_refresh_at" TIMESTAMPTZ(3),
ADD COLUMN     "refresh_attempts" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "data_deletion_requests" (
    "confirmation_code" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "connections_deleted" INTEGER NOT NULL DEFAULT 0,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "data_deletion_requests_pkey" PRIMARY KEY ("confirmation_code")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "connections_status_expires_at_idx" ON "connections"("status", "expires_at");

-- CreateIndex
CREATE INDEX "webhook_events_delivered_at_failed_at_next_attempt_at_idx" ON "webhook_events"("delivered_at", "failed_at", "next_attempt_at");

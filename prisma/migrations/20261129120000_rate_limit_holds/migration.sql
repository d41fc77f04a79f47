-- CreateTable
CREATE TABLE "instagram_rate_limit_holds" (
    "scope" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instagram_rate_limit_holds_pkey" PRIMARY KEY ("scope")
);

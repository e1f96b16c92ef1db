-- Claim a delivery before sending (committed): a run killed mid-send leaves `sending`, never a resend.
INSERT INTO reports.deliveries
    (delivery_id, report_type, period_label, recipient, transport, status, attempts, first_attempt_at, message_id,
     attachments, message_bytes)
VALUES ($delivery_id, $report_type, $period_label, $recipient, $transport, 'sending', 0, $now, $message_id,
        $attachments, $message_bytes)
ON CONFLICT (delivery_id) DO UPDATE SET status = 'sending', transport = excluded.transport,
    attachments = excluded.attachments, message_bytes = excluded.message_bytes;

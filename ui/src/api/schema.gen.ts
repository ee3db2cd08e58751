// Generated from src/api/openapi.json by scripts/gen-api.mjs (`npm run gen:api`); do not edit.
export interface paths {
    "/api/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API keys (yours; an admin sees everyone's). */
        get: operations["api_keys_list"];
        put?: never;
        /** Create an API key. A key can only have scopes its creator has. */
        post: operations["api_keys_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key; it stops working at once. */
        delete: operations["api_keys_revoke"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate an API key: a new secret with the same name, scopes and expiry; the old one is
         *     revoked.
         */
        post: operations["api_keys_rotate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Opens a one-time sign-in link: sets the session cookie and redirects to the UI. */
        get: operations["auth_login_link"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Signs out: revokes the session and clears the cookie. */
        post: operations["auth_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exchanges an API key for a browser session cookie. */
        post: operations["auth_create_session"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/budgets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every budget of the organization, with its current window's spend. */
        get: operations["usage_list_budgets"];
        put?: never;
        /**
         * Creates a budget: a limit in tokens and/or dollars per day, month or run, for the
         *     organization, a team or a workflow. Every model call checks it first (its worst case is
         *     reserved); a call that would pass it fails its step with `budget_exceeded`.
         */
        post: operations["usage_create_budget"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/budgets/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One budget. */
        get: operations["usage_get_budget"];
        /** Replaces a budget's settings; what its windows spent so far is kept. */
        put: operations["usage_update_budget"];
        post?: never;
        /** Deletes a budget and what its windows spent. */
        delete: operations["usage_delete_budget"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credentials": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List credentials (never their secrets). */
        get: operations["credentials_list"];
        put?: never;
        /** Store a credential; its fields are sealed and never returned. */
        post: operations["credentials_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credentials/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One credential's description. */
        get: operations["credentials_get"];
        /** Replace a credential's name, kind and secret. */
        put: operations["credentials_replace"];
        post?: never;
        /** Delete a credential. */
        delete: operations["credentials_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's live events. */
        get: operations["events_org_stream"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/llm/prices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The model price table used for cost accounting and budgets. */
        get: operations["usage_list_prices"];
        /**
         * Sets the organization's price of a model (replacing its earlier one, or overriding the
         *     built-in one).
         */
        put: operations["usage_put_price"];
        post?: never;
        /** Removes the organization's price of a model (a built-in price applies again, if any). */
        delete: operations["usage_delete_price"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is calling. */
        get: operations["auth_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/nodes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every node type. */
        get: operations["nodes_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/nodes/port-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The port types and the coercions allowed between them (the one table validation uses). */
        get: operations["nodes_coercions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/nodes/{type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One node type, by `name@version` or by name (the newest version). */
        get: operations["nodes_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List runs, newest first. */
        get: operations["runs_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run with every step: status, attempts, timings, input, output, errors and logs. */
        get: operations["runs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a run; running steps are cancelled. */
        post: operations["runs_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One run's events: its journal, then live entries as they are written, with the live
         *     `stepProgress` events of its steps (tokens as a model streams them) and live `stepStarted`
         *     events (pure steps journal no start); live events are not in the journal, carry no id and
         *     are not replayed on reconnect. Ends when the run has finished.
         */
        get: operations["events_run_stream"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause a run: running steps finish, nothing new starts. */
        post: operations["runs_pause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume a paused run. */
        post: operations["runs_resume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a finished run again with the same input, on the same or the newest version: from the
         *     failed steps (keeping the results of steps that succeeded and did not change) or whole.
         */
        post: operations["runs_retry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/steps/{node}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve a step that waits for a decision (`core.approval`): its items leave through
         *     `approved`, and the run goes on.
         */
        post: operations["runs_approve"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/steps/{node}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject a step that waits for a decision: its items leave through `rejected`. */
        post: operations["runs_reject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/steps/{node}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End a waiting step's timer now (`core.wait`): it completes as if its time had come. */
        post: operations["runs_resume_step"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List schedules. */
        get: operations["schedules_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The next fire times of an expression. */
        post: operations["schedules_preview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One schedule with its next five fire times. */
        get: operations["schedules_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause a schedule. */
        post: operations["schedules_pause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume a paused schedule from the next tick after now. */
        post: operations["schedules_resume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * LLM usage of the organization: tokens, cost, cached and unpriced calls, grouped by run,
         *     workflow, team, organization, model or node, over a time range.
         */
        get: operations["usage_usage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List workflows. */
        get: operations["workflows_list"];
        put?: never;
        /** Create a workflow (version 1). */
        post: operations["workflows_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/bulk-delete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Deletes several workflows. */
        post: operations["workflows_bulk_delete"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exports workflows (newest versions) as one file. */
        post: operations["workflows_export"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/favorites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The ids of the calling user's favourite workflows. */
        get: operations["workflows_list_favorites"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Imports an export file: every workflow is validated first; nothing is created unless all
         *     are valid.
         */
        post: operations["workflows_import"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Validates a draft document without storing it: every diagnostic with its JSON pointer, each
         *     node's ports as its params make them, and the document as read (YAML becomes JSON here).
         */
        post: operations["workflows_validate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a workflow with its newest document. */
        get: operations["workflows_get"];
        put?: never;
        post?: never;
        /** Delete a workflow (its runs stay). Honors `If-Match`. */
        delete: operations["workflows_delete"];
        options?: never;
        head?: never;
        /** Change a workflow; a changed document becomes a new version. Honors `If-Match`. */
        patch: operations["workflows_update"];
        trace?: never;
    };
    "/api/v1/workflows/{id}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What changed between two versions: nodes, edges and triggers added, removed and changed,
         *     with each changed param by JSON pointer.
         */
        get: operations["workflows_diff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/duplicate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Copies a workflow's newest version into a new, unpublished workflow. */
        post: operations["workflows_duplicate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/favorite": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Stars a workflow for the calling user (doing it twice changes nothing). */
        put: operations["workflows_add_favorite"];
        post?: never;
        /** Unstars a workflow for the calling user. */
        delete: operations["workflows_remove_favorite"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publishes a version: its webhooks, schedules and run-completed triggers go live. */
        post: operations["workflows_publish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/rollback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Makes an old version's document the newest version again. */
        post: operations["workflows_rollback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Starts a run. With an `Idempotency-Key`, a repeated request returns the first run (200). */
        post: operations["runs_start_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/unpublish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Unpublishes: webhooks answer 404 and schedules stop. */
        post: operations["workflows_unpublish"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The versions of a workflow, newest first. */
        get: operations["workflows_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/workflows/{id}/versions/{number}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version with its document. */
        get: operations["workflows_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is alive. */
        get: operations["operations_healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics. */
        get: operations["operations_metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Ready for traffic: the database answers and its schema is the one this build expects. */
        get: operations["operations_readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An API key, without its secret. */
        ApiKeyDto: {
            /** @description Id. */
            id: string;
            /** @description Label. */
            name: string;
            /** @description First characters of the secret. */
            prefix: string;
            /** @description Scopes. */
            scopes: string[];
            /** @description The user it acts as. */
            userId: string;
            /**
             * Format: date-time
             * @description Created.
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description Expiry.
             */
            expiresAt?: string | null;
            /**
             * Format: date-time
             * @description Revoked.
             */
            revokedAt?: string | null;
            /**
             * Format: date-time
             * @description Last used (to the minute).
             */
            lastUsedAt?: string | null;
        };
        /** @description The organization's API keys. */
        ApiKeyList: {
            /** @description Newest first. */
            items: components["schemas"]["ApiKeyDto"][];
        };
        /** @description A budget. */
        BudgetDto: {
            /** @description Id. */
            id: string;
            /** @description Name. */
            name: string;
            /** @description `organization`, `team` or `workflow`. */
            scope: string;
            /** @description The team or workflow id. */
            scopeId?: string | null;
            /** @description `day`, `month` or `run`. */
            window: string;
            /**
             * Format: int64
             * @description Most tokens per window.
             */
            maxTokens?: number | null;
            /**
             * Format: double
             * @description Most dollars per window.
             */
            maxCostUsd?: number | null;
            /**
             * Format: date-time
             * @description When created.
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description When last changed.
             */
            updatedAt: string;
            current?: null | components["schemas"]["BudgetWindowDto"];
        };
        /** @description What a budget's current window has used (day and month windows). */
        BudgetWindowDto: {
            /** @description The window (`d:2026-12-06`, `m:2026-12`). */
            window: string;
            /**
             * Format: int64
             * @description Tokens of settled calls.
             */
            spentTokens: number;
            /**
             * Format: double
             * @description Dollars of settled calls.
             */
            spentUsd: number;
            /**
             * Format: int64
             * @description Worst-case tokens of calls in flight.
             */
            reservedTokens: number;
            /**
             * Format: double
             * @description Worst-case dollars of calls in flight.
             */
            reservedUsd: number;
            /**
             * Format: double
             * @description The highest share of a limit spent, in percent.
             */
            percent: number;
        };
        /** @description Budgets. */
        BudgetsDto: {
            /** @description By id. */
            budgets: components["schemas"]["BudgetDto"][];
        };
        /** @description The outcome of a bulk operation, per id. */
        BulkResult: {
            /** @description Ids done. */
            done: string[];
            /** @description Ids not found. */
            notFound: string[];
        };
        /** @description One allowed conversion between two port types. */
        Coercion: {
            /** @description Output port type. */
            from: string;
            /** @description Input port type. */
            to: string;
            /** @description How the value is converted. */
            how: string;
        };
        /** @description What a control request did. */
        ControlResult: {
            /** @description The run, after the request was recorded. */
            run: components["schemas"]["RunDto"];
        };
        /** @description A key to create. */
        CreateApiKey: {
            /** @description Label. */
            name: string;
            /**
             * @description Scopes (`*` for all): workflows:read|write, runs:read|write, credentials:read|write,
             *     keys:read|write, users:read|write.
             */
            scopes: string[];
            /**
             * Format: date-time
             * @description Expiry time; none means it does not expire.
             */
            expiresAt?: string | null;
        };
        /** @description Body of a create. */
        CreateWorkflow: {
            /** @description The `weft/v1` document: a JSON object, or its JSON or YAML text. */
            document: Record<string, never>;
            /** @description Free text. */
            description?: string;
            /** @description Tags. */
            tags?: string[];
            /** @description Save message of version 1. */
            message?: string | null;
        };
        /** @description A key just created: the only time its secret is shown. */
        CreatedApiKey: {
            /** @description The key. */
            key: components["schemas"]["ApiKeyDto"];
            /** @description The secret: send it as `Authorization: Bearer <secret>`. Not retrievable later. */
            secret: string;
        };
        /** @description A credential, without its secret. */
        CredentialDto: {
            /** @description Id, for nodes' `credential` param. */
            id: string;
            /** @description Name. */
            name: string;
            /** @description Kind: bearer, basic, header, apiKey, oauth2ClientCredentials, hmac, custom. */
            kind: string;
            /**
             * Format: date-time
             * @description Created.
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description Last replaced.
             */
            updatedAt: string;
        };
        /** @description The organization's credentials. */
        CredentialList: {
            /** @description By name. */
            items: components["schemas"]["CredentialDto"][];
        };
        /** @description Body of a decision about a waiting step. */
        DecisionBody: {
            /** @description Why (kept in the step's output and log). */
            comment?: string | null;
        };
        /** @description What a decision did. */
        DecisionResult: {
            /** @description `approved`, `rejected` or `resumed`. */
            decision: string;
            /** @description The step. */
            node: string;
            /** @description Who decided. */
            by: string;
            /** @description The run afterwards. */
            run: components["schemas"]["RunDto"];
        };
        /** @description One problem, as `weft validate` reports it. */
        DiagnosticDto: {
            /** @description `error` or `warning`. */
            severity: string;
            /** @description Stable code, e.g. `graph.cycle`; `document.parse` when the document cannot be read. */
            code: string;
            /** @description JSON pointer into the document. */
            pointer: string;
            /** @description The node concerned, when there is one. */
            nodeId?: string | null;
            /** @description What is wrong, in plain words. */
            message: string;
        };
        /** @description Body of a duplicate. */
        Duplicate: {
            /** @description Name of the copy (default: "<name> (copy)"). */
            name?: string | null;
        };
        /** @description The body of every error response. */
        ErrorBody: {
            /** @description Stable, machine-readable code, e.g. `not_found`, `validation_failed`. */
            code: string;
            /** @description What went wrong, for people. */
            message: string;
            /** @description More about it: the JSON pointer, the diagnostics, the conflicting object. */
            details?: Record<string, never>;
        };
        /** @description An export file: what `export` returns and `import` takes. */
        ExportFile: {
            /** @description Always `weft-export/v1`. */
            format: string;
            /** @description The workflows. */
            workflows: components["schemas"]["ExportedWorkflow"][];
        };
        /** @description One workflow in an export file. */
        ExportedWorkflow: {
            /** @description Description. */
            description?: string;
            /** @description Tags. */
            tags?: string[];
            /** @description The newest version's document. */
            document: Record<string, never>;
        };
        /** @description The calling user's favourite workflows. */
        Favorites: {
            /** @description Workflow ids, sorted. */
            ids: string[];
        };
        /** @description A health answer. */
        Health: {
            /** @description `ok` or what is wrong. */
            status: string;
        };
        /** @description A list of workflow ids. */
        IdList: {
            /** @description Workflow ids (at most 500). */
            ids: string[];
        };
        /** @description Import options and file. */
        ImportRequest: {
            /** @description The export file. */
            file: components["schemas"]["ExportFile"];
            /** @description On a name already used: `rename` (add " (2)", …, the default), `skip` or `fail`. */
            onConflict?: string | null;
        };
        /** @description What an import did, per workflow in file order. */
        ImportResult: {
            /** @description Created workflows. */
            created: components["schemas"]["WorkflowDto"][];
            /** @description Names skipped because they exist. */
            skipped: string[];
        };
        /** @description One recorded model call. */
        LlmCallDto: {
            /** @description Call id. */
            id: string;
            /** @description The step's node id. */
            nodeId: string;
            /**
             * Format: int32
             * @description The step's attempt.
             */
            attempt: number;
            /** @description Provider kind. */
            provider: string;
            /** @description Model. */
            model: string;
            /**
             * Format: int64
             * @description Prompt tokens.
             */
            promptTokens: number;
            /**
             * Format: int64
             * @description Completion tokens.
             */
            completionTokens: number;
            /**
             * Format: int64
             * @description Wall time.
             */
            latencyMs: number;
            /**
             * Format: double
             * @description Dollars.
             */
            costUsd: number;
            /** @description False when the model has no price. */
            priced: boolean;
            /** @description Answered from the response cache. */
            cached: boolean;
            /** @description False when the call failed. */
            ok: boolean;
            /**
             * Format: date-time
             * @description When it finished.
             */
            at: string;
        };
        /** @description Who is calling. */
        Me: {
            /** @description User id. */
            userId: string;
            /** @description Email. */
            email: string;
            /** @description Display name. */
            name: string;
            /** @description `admin`, `editor` or `viewer`. */
            role: string;
            /** @description Organization id. */
            orgId: string;
            /** @description Organization name. */
            orgName: string;
            /** @description `api` (an API key) or `session` (a browser). */
            auth: string;
            /** @description Scopes of the key or session. */
            scopes: string[];
        };
        /** @description The catalog. */
        NodeCatalog: {
            /** @description Node types by name and version. */
            items: components["schemas"]["NodeTypeEntry"][];
        };
        /** @description A node's ports given its params, or why they cannot be worked out. */
        NodePorts: {
            /** @description Input ports. */
            inputs: components["schemas"]["PortDto"][];
            /** @description Output ports (the implicit `error` output is not listed). */
            outputs: components["schemas"]["PortDto"][];
            /** @description Set when the params do not give ports (the node type's message). */
            error?: string | null;
        };
        /** @description One node type of the catalog (`GET /api/v1/nodes`), as `weft nodes --json` prints it. */
        NodeTypeEntry: {
            /** @description `name@version`, e.g. `http.request@1`. */
            type: string;
            /** @description Name shown in the palette. */
            displayName: string;
            /** @description Palette category. */
            category: string;
            /** @description What it does, with an example. */
            description: string;
            /** @description `pure` or `effectful`. */
            purity: string;
            /** @description JSON Schema (2020-12) of the params; the editor builds its form from it. */
            paramsSchema: Record<string, never>;
            ports?: null | components["schemas"]["TypePorts"];
        };
        /** @description One port of a node. */
        PortDto: {
            /** @description Port name. */
            name: string;
            /** @description One of the ten port types. */
            type: string;
            /** @description For inputs: the node cannot run unless an edge connects here. */
            required: boolean;
            /** @description Shown in the editor. */
            description?: string;
        };
        /** @description The port types and the coercion table (`weft_model::ports::COERCIONS`). */
        PortTypes: {
            /**
             * @description The ten port types, in display order. `any` fits every type both ways; a type fits
             *     itself; other pairs connect only when listed in `coercions`.
             */
            types: string[];
            /** @description Allowed conversions between distinct, non-`any` types. */
            coercions: components["schemas"]["Coercion"][];
        };
        /** @description The next fire times. */
        Preview: {
            /** @description In UTC; DST transitions are applied in the schedule's zone. */
            upcoming: string[];
        };
        /** @description An expression to preview. */
        PreviewRequest: {
            /** @description Cron expression, 5 or 6 fields. */
            expression: string;
            /** @description IANA time zone (default UTC). */
            timezone?: string | null;
            /**
             * Format: int32
             * @description How many fire times (1 to 100, default 5).
             */
            count?: number | null;
        };
        /** @description A model's price. */
        PriceDto: {
            /** @description Model name, or a prefix naming a family (`gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`). */
            model: string;
            /**
             * Format: double
             * @description Dollars per million prompt tokens.
             */
            inputPerMTok: number;
            /**
             * Format: double
             * @description Dollars per million completion tokens.
             */
            outputPerMTok: number;
            /** @description `organization` (set through the API) or `default` (built in). Ignored when writing. */
            source?: string | null;
        };
        /** @description The price table. */
        PricesDto: {
            /**
             * @description The organization's prices, then the built-in ones it does not override. Exact names win
             *     over prefixes, the organization's over the built-in ones; a model matching none is
             *     unpriced (cost 0, flagged).
             */
            prices: components["schemas"]["PriceDto"][];
        };
        /** @description Body of a publish. */
        Publish: {
            /**
             * Format: int64
             * @description Version to publish (default: the newest).
             */
            version?: number | null;
        };
        /** @description Body of a retry. */
        RetryRun: {
            /** @description `same` (the version the run executed, the default) or `latest` (the workflow's newest). */
            version?: string | null;
            /**
             * @description `fromFailure` (the default: steps that succeeded keep their results, the failed ones
             *     and everything downstream run again) or `whole`.
             */
            mode?: string | null;
        };
        /** @description Body of a rollback. */
        Rollback: {
            /**
             * Format: int64
             * @description The version whose document becomes the newest version again.
             */
            version: number;
            /** @description Save message (default: "Rolled back to version N"). */
            message?: string | null;
        };
        /** @description A run with its steps. */
        RunDetailDto: {
            /** @description The run. */
            run: components["schemas"]["RunDto"];
            /**
             * @description Steps in document order: status, attempts, timings, output, error, retried errors,
             *     logs.
             */
            steps: Record<string, never>[];
            /** @description The run's LLM usage: tokens and cost of every model call its steps made. */
            llm: components["schemas"]["RunLlmUsageDto"];
        };
        /** @description A run as the API shows it. */
        RunDto: {
            /** @description Id (UUIDv7). */
            id: string;
            /** @description The stored workflow, when started through the API or a trigger. */
            workflowId?: string | null;
            /** @description The content id of the executed version. */
            workflowVersionId: string;
            /** @description Workflow name. */
            workflowName: string;
            /** @description `queued`, `running`, `waiting`, `paused`, `succeeded`, `failed`, `cancelled`. */
            status: string;
            /** @description Input items (any JSON, usually an array of objects). */
            input: unknown;
            /** @description Output items, once succeeded (any JSON). */
            output?: unknown;
            /** @description Error, once failed or cancelled: `{code, message, …}`. */
            error?: unknown;
            /** @description Parent run, for sub-workflow children. */
            parentRunId?: string | null;
            /** @description Idempotency key given at start. */
            idempotencyKey?: string | null;
            /**
             * Format: date-time
             * @description Created.
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description First step started.
             */
            startedAt?: string | null;
            /**
             * Format: date-time
             * @description Finished.
             */
            finishedAt?: string | null;
            /**
             * Format: date-time
             * @description For waiting runs, when the next timer fires.
             */
            wakeAt?: string | null;
            /**
             * Format: date-time
             * @description Run timeout.
             */
            deadlineAt?: string | null;
            /** @description A control request not yet acted on. */
            pendingControl?: string | null;
        };
        /** @description A run's LLM usage: totals and every call. */
        RunLlmUsageDto: {
            /** @description Totals. */
            total: components["schemas"]["UsageRowDto"];
            /** @description Every call, oldest first. */
            calls: components["schemas"]["LlmCallDto"][];
        };
        /** @description A page of runs. */
        RunPage: {
            /** @description Newest first. */
            items: components["schemas"]["RunDto"][];
            /** @description Cursor of the next page. */
            nextCursor?: string | null;
        };
        /** @description A schedule as the API shows it. */
        ScheduleDto: {
            /** @description Id. */
            id: string;
            /** @description The workflow. */
            workflowId: string;
            /** @description The trigger in its published document. */
            triggerId: string;
            /** @description Cron expression. */
            cron: string;
            /** @description IANA time zone. */
            timezone: string;
            /** @description `skip`, `queue` or `allow`. */
            overlap: string;
            /** @description `none`, `latest` or `all`. */
            catchUp: string;
            /** @description Input items of each run. */
            input: Record<string, never>;
            /** @description Paused schedules do not fire. */
            enabled: boolean;
            /**
             * Format: date-time
             * @description The next tick.
             */
            nextFireAt?: string | null;
            /**
             * Format: date-time
             * @description The last tick fired.
             */
            lastFireAt?: string | null;
            /** @description The run the last tick started. */
            lastRunId?: string | null;
            /** @description The next few ticks (on single-schedule responses). */
            upcoming?: string[];
        };
        /** @description The organization's schedules. */
        ScheduleList: {
            /** @description By workflow and trigger. */
            items: components["schemas"]["ScheduleDto"][];
        };
        /** @description Sign in with an API key (for the UI's sign-in form). */
        SessionRequest: {
            /** @description An API key. */
            apiKey: string;
        };
        /** @description One Server-Sent Event as a client parses it (the `text/event-stream` schema). */
        SseFrame: {
            /** @description The event id: a journal seq on run streams, a sequence number on the organization's. */
            id?: string | null;
            /** @description The event type, e.g. `runStarted`, `stepSucceeded`, `runFinished`, `end`. */
            event?: string | null;
            /** @description The event as JSON text. */
            data: string;
            /**
             * Format: int64
             * @description Reconnection delay in milliseconds, when the server sets one.
             */
            retry?: number | null;
        };
        /** @description Body of a run start. */
        StartRun: {
            /** @description Input items (an array; an object is one item). */
            input?: Record<string, never>;
            /** @description Version number to run (default: the newest; `published` runs the published one). */
            version?: Record<string, never> | null;
            /**
             * @description Test runs: outputs to use instead of executing these nodes, by node id (the editor's
             *     pinned data). An array is the node's `main` output; an object maps output ports to
             *     arrays of items. A node id that is not in the version run is refused (422).
             */
            pinnedData?: Record<string, never> | null;
        };
        /** @description The ports of a node type with default params. */
        TypePorts: {
            /** @description Input ports. */
            inputs: components["schemas"]["PortDto"][];
            /** @description Output ports (every node also has an implicit `error` output). */
            outputs: components["schemas"]["PortDto"][];
        };
        /**
         * @description Body of an update; absent fields stay as they are. A document different from the newest
         *     version's becomes a new version.
         */
        UpdateWorkflow: {
            /** @description A new document (object or text). */
            document?: Record<string, never> | null;
            /** @description New description. */
            description?: string | null;
            /** @description New tags. */
            tags?: string[] | null;
            /** @description Save message of the new version. */
            message?: string | null;
        };
        /** @description A usage roll-up. */
        UsageDto: {
            /** @description The grouping. */
            groupBy: string;
            /**
             * Format: date-time
             * @description The range's start, if any.
             */
            from?: string | null;
            /**
             * Format: date-time
             * @description The range's end, if any.
             */
            to?: string | null;
            /** @description One row per group, largest cost first. */
            rows: components["schemas"]["UsageRowDto"][];
            /** @description Every row added up. */
            total: components["schemas"]["UsageRowDto"];
        };
        /** @description Usage of a group of model calls. */
        UsageRowDto: {
            /**
             * @description The group: a run id, workflow id (or name), team id (empty: none), organization id,
             *     model or node id.
             */
            key: string;
            /**
             * Format: int64
             * @description Calls made (failed ones included).
             */
            calls: number;
            /**
             * Format: int64
             * @description Calls answered from the response cache (cost 0).
             */
            cachedCalls: number;
            /**
             * Format: int64
             * @description Calls of models without a price (cost 0, not guessed).
             */
            unpricedCalls: number;
            /**
             * Format: int64
             * @description Calls that failed.
             */
            failedCalls: number;
            /**
             * Format: int64
             * @description Prompt tokens.
             */
            promptTokens: number;
            /**
             * Format: int64
             * @description Completion tokens.
             */
            completionTokens: number;
            /**
             * Format: int64
             * @description Prompt plus completion tokens.
             */
            totalTokens: number;
            /**
             * Format: double
             * @description Dollars.
             */
            costUsd: number;
        };
        /** @description A draft document to check. */
        ValidateRequest: {
            /** @description The `weft/v1` document: a JSON object, or its JSON or YAML text. */
            document: Record<string, never>;
        };
        /** @description The validator's verdict. */
        ValidateResult: {
            /** @description No errors (warnings allowed): the document can be saved. */
            valid: boolean;
            /** @description Every problem, errors first. */
            diagnostics: components["schemas"]["DiagnosticDto"][];
            /** @description Each node's ports by node id (nodes of unknown types are left out). */
            ports: {
                [key: string]: components["schemas"]["NodePorts"];
            };
            /**
             * @description The document as the server read it (canonical JSON), when it could be read: how a
             *     YAML file looks as JSON, parsed by the same code that stores documents.
             */
            document?: Record<string, never> | null;
        };
        /** @description A version as the API shows it. */
        VersionDto: {
            /**
             * Format: int64
             * @description 1, 2, 3, …
             */
            number: number;
            /** @description The content id runs record. */
            versionId: string;
            /** @description Author (user id). */
            author: string;
            /** @description Save message. */
            message: string;
            /**
             * Format: date-time
             * @description Created.
             */
            createdAt: string;
            /** @description The document (on single-version responses). */
            document?: Record<string, never> | null;
        };
        /** @description The versions of a workflow. */
        VersionList: {
            /** @description Newest first. */
            items: components["schemas"]["VersionDto"][];
        };
        /** @description A workflow as the API shows it. */
        WorkflowDto: {
            /** @description Id. */
            id: string;
            /** @description Name (the document's `name`), unique in the organization. */
            name: string;
            /** @description Free text. */
            description: string;
            /** @description Tags. */
            tags: string[];
            /**
             * Format: int64
             * @description Newest version number.
             */
            latestVersion: number;
            /**
             * Format: int64
             * @description Published version number.
             */
            publishedVersion?: number | null;
            /**
             * Format: int64
             * @description Revision (also the ETag).
             */
            revision: number;
            /**
             * Format: date-time
             * @description Created.
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description Last changed.
             */
            updatedAt: string;
            /** @description The newest version's document (on single-workflow responses). */
            document?: Record<string, never> | null;
            /** @description Validation warnings of the newest version (on create and update). */
            warnings?: Record<string, never>[];
        };
        /** @description A page of workflows. */
        WorkflowPage: {
            /** @description The workflows, by name. */
            items: components["schemas"]["WorkflowDto"][];
            /** @description Pass as `cursor` for the next page; absent at the end. */
            nextCursor?: string | null;
        };
        /** @description A budget as written. */
        WriteBudget: {
            /** @description A name for people. */
            name: string;
            /** @description `organization`, `team` or `workflow`. */
            scope: string;
            /** @description The team or workflow id (required for those scopes). */
            scopeId?: string | null;
            /** @description `day` (UTC), `month` (UTC) or `run` (each run separately). */
            window: string;
            /**
             * Format: int64
             * @description Most tokens (prompt + completion) per window.
             */
            maxTokens?: number | null;
            /**
             * Format: double
             * @description Most dollars per window.
             */
            maxCostUsd?: number | null;
        };
        /** @description A credential to store. */
        WriteCredential: {
            /** @description Name, unique in the organization. */
            name: string;
            /** @description Kind. */
            kind: string;
            /** @description Secret fields (e.g. `{"token": "…"}` for bearer). Never returned. */
            fields: Record<string, never>;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    api_keys_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyList"];
                };
            };
        };
    };
    api_keys_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKey"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    api_keys_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Key id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    api_keys_rotate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Key id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    auth_login_link: {
        parameters: {
            query: {
                /** @description The token from the sign-in link. */
                token: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed in: redirects to the UI (/). A browser (Accept: text/html) with an unknown, used or expired link is redirected to /signin?error=link */
            303: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    auth_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    auth_create_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SessionRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_list_budgets: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BudgetsDto"];
                };
            };
        };
    };
    usage_create_budget: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WriteBudget"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BudgetDto"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_get_budget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Budget id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BudgetDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_update_budget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Budget id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WriteBudget"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BudgetDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_delete_budget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Budget id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    credentials_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialList"];
                };
            };
        };
    };
    credentials_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WriteCredential"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialDto"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    credentials_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Credential id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    credentials_replace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Credential id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WriteCredential"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    credentials_delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Credential id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    events_org_stream: {
        parameters: {
            query?: never;
            header?: {
                /** @description Resume after this event */
                "Last-Event-ID"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Server-Sent Events: runStarted, stepStarted, stepSucceeded, stepFailed, runFinished, … */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": components["schemas"]["SseFrame"];
                };
            };
        };
    };
    usage_list_prices: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PricesDto"];
                };
            };
        };
    };
    usage_put_price: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PriceDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PriceDto"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_delete_price: {
        parameters: {
            query: {
                /** @description The model name as set. */
                model: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    auth_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    nodes_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NodeCatalog"];
                };
            };
        };
    };
    nodes_coercions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortTypes"];
                };
            };
        };
    };
    nodes_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description e.g. http.request@1 or http.request */
                type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_list: {
        parameters: {
            query?: {
                /** @description Statuses, comma-separated. */
                status?: string;
                /** @description Only runs of this workflow. */
                workflowId?: string;
                /** @description Only runs of workflows with this tag. */
                tag?: string;
                /** @description Created at or after (RFC 3339). */
                from?: string;
                /** @description Created before (RFC 3339). */
                to?: string;
                /** @description Include sub-workflow children (default false). */
                includeChildren?: boolean;
                /** @description Cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 500. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunPage"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetailDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlResult"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    events_run_stream: {
        parameters: {
            query?: never;
            header?: {
                /** @description Resume after this journal seq */
                "Last-Event-ID"?: string | null;
            };
            path: {
                /** @description Run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Server-Sent Events: one per journal entry (id = seq), live `stepProgress` and `stepStarted` events (no id), then `end` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": components["schemas"]["SseFrame"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_pause: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlResult"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_resume: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlResult"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_retry: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RetryRun"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_approve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
                /** @description Node id */
                node: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": null | components["schemas"]["DecisionBody"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DecisionResult"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_reject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
                /** @description Node id */
                node: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": null | components["schemas"]["DecisionBody"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DecisionResult"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_resume_step: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: string;
                /** @description Node id */
                node: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DecisionResult"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    schedules_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleList"];
                };
            };
        };
    };
    schedules_preview: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreviewRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Preview"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    schedules_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Schedule id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    schedules_pause: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Schedule id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    schedules_resume: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Schedule id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_usage: {
        parameters: {
            query?: {
                /** @description `run`, `workflow`, `team`, `organization` (default), `model` or `node`. */
                groupBy?: string;
                /** @description Calls at or after (RFC 3339). */
                from?: string;
                /** @description Calls before (RFC 3339). */
                to?: string;
                /** @description Only this run's calls. */
                runId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageDto"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_list: {
        parameters: {
            query?: {
                /** @description Substring of the name, description or a tag (case-insensitive). */
                search?: string;
                /** @description Only workflows with this tag (comma-separate several: all must match). */
                tag?: string;
                /** @description Only published (`true`) or unpublished (`false`) workflows. */
                published?: boolean;
                /** @description Cursor from the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 500. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowPage"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWorkflow"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_bulk_delete: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["IdList"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkResult"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_export: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["IdList"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExportFile"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_list_favorites: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Favorites"];
                };
            };
        };
    };
    workflows_import: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImportRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportResult"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_validate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ValidateRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidateResult"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description ETag of the revision this change is based on */
                "If-Match"?: string | null;
            };
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description ETag of the revision this change is based on */
                "If-Match"?: string | null;
            };
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateWorkflow"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_diff: {
        parameters: {
            query: {
                /** @description The older version. */
                from: number;
                /** @description The newer version. */
                to: number;
            };
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_duplicate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Duplicate"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_add_favorite: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_remove_favorite: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_publish: {
        parameters: {
            query?: never;
            header?: {
                /** @description ETag of the revision this change is based on */
                "If-Match"?: string | null;
            };
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Publish"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_rollback: {
        parameters: {
            query?: never;
            header?: {
                /** @description ETag of the revision this change is based on */
                "If-Match"?: string | null;
            };
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Rollback"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    runs_start_run: {
        parameters: {
            query?: never;
            header?: {
                /** @description Repeating a request with the same key returns the same run */
                "Idempotency-Key"?: string | null;
            };
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartRun"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDto"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_unpublish: {
        parameters: {
            query?: never;
            header?: {
                /** @description ETag of the revision this change is based on */
                "If-Match"?: string | null;
            };
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_versions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionList"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workflows_version: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id */
                id: string;
                /** @description Version number */
                number: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionDto"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    operations_healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    operations_metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/openmetrics-text": string;
                };
            };
        };
    };
    operations_readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}

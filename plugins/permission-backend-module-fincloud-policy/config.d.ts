export interface Config {
  fincloud?: {
    /** The fincloud permission policy (plugins/permission-backend-module-fincloud-policy). */
    permissions?: {
      /**
       * Members of this group hold the platform role (catalog and cluster
       * administration, every audit read). Default `group:default/platform-team`.
       */
      platformGroup?: string;
      /**
       * Members of this group hold the auditor role: every read, including
       * the whole audit trail and its export; never a write.
       * Default `group:default/audit-team`.
       */
      auditGroup?: string;
      /**
       * How long the list of team leads (Groups' `fincloud.io/team-leads`) read
       * from the catalog is trusted, in seconds (0 to 3600). A lead removed in
       * the catalog loses lead rights after at most this long plus the
       * catalog's own processing delay. Default 30.
       */
      teamLeadCacheSeconds?: number;
    };
  };
}

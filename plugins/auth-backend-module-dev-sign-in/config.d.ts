export interface Config {
  auth?: {
    providers?: {
      /**
       * The fincloud development sign-in: the sign-in page lists the catalog's
       * users and signs you in as the one you pick, with that user's groups.
       * Present = enabled. Never set it in production: anybody could be anybody.
       */
      'fincloud-dev'?: {
        /**
         * Allow the provider when NODE_ENV is not `development` (the browser
         * tests run the backend like this). Defaults to false.
         */
        dangerouslyAllowOutsideDevelopment?: boolean;
      };
    };
  };
}

export interface Config {
  fincloud?: {
    /**
     * The Kubernetes clusters fincloud's backend plugins act on. A service
     * names its cluster(s) with the `fincloud.io/cluster` annotation.
     * `./fincloud start` adds the cluster simulator as `sim`.
     */
    clusters?: Array<{
      /** The name annotations use (`fincloud.io/cluster: <name>`); unique. */
      name: string;
      /** The API server URL, e.g. https://k8s.example.internal:6443 */
      url: string;
      /**
       * Bearer token of the service account fincloud acts as.
       * @visibility secret
       */
      serviceAccountToken: string;
      /** PEM certificate authority of the API server, base64 encoded (as `certificate-authority-data` in a kubeconfig). */
      caData?: string;
      /** Skip TLS verification (development only; required for an http:// URL such as the simulator's). */
      skipTLSVerify?: boolean;
      /** Namespaces fincloud may act in; all when absent. */
      namespaces?: string[];
    }>;
  };
}

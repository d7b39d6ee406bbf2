import { CodeSnippet, EmptyState } from '@backstage/core-components';
import { MissingAnnotationEmptyState } from '@backstage/plugin-catalog-react';
import { FINCLOUD_ANNOTATIONS } from '@fincloud/plugin-fincloud-common';
import Typography from '@material-ui/core/Typography';

const PROMETHEUS_CONFIG = `fincloud:
  monitoring:
    prometheus:
      - name: prod-east
        url: https://prometheus.prod-east.internal
        token: \${PROM_TOKEN}
    alertmanager:
      - name: prod-east
        url: https://alertmanager.prod-east.internal`;

/** The entity does not say where it runs. */
export function MissingMonitoringAnnotations() {
  return (
    <MissingAnnotationEmptyState
      annotation={[
        FINCLOUD_ANNOTATIONS.cluster,
        FINCLOUD_ANNOTATIONS.namespace,
      ]}
    />
  );
}

/** The portal has no Prometheus (or not the one the service names): how to add it. */
export function NoPrometheusState(props: { message: string }) {
  return (
    <EmptyState
      missing="info"
      title="No Prometheus configured for this service"
      description={
        <>
          <Typography variant="body1" paragraph>
            {props.message}
          </Typography>
          <Typography variant="body1" paragraph>
            The platform team adds Prometheus and Alertmanager to the app
            config; a service picks one by name with the{' '}
            <code>{FINCLOUD_ANNOTATIONS.prometheus}</code> annotation (by
            default the first).
          </Typography>
        </>
      }
      action={
        <CodeSnippet
          language="yaml"
          text={PROMETHEUS_CONFIG}
          showCopyCodeButton
        />
      }
    />
  );
}

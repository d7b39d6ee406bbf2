import { useCallback, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Content,
  Header,
  Page,
  Progress,
  ProxiedSignInPage,
  ResponseErrorPanel,
  SignInPage,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  githubAuthApiRef,
  IdentityApi,
  SignInPageProps,
  useApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { DEV_SIGN_IN, DevSignInUser } from '@fincloud/plugin-fincloud-common';
import Button from '@material-ui/core/Button';
import Card from '@material-ui/core/Card';
import CardActions from '@material-ui/core/CardActions';
import CardContent from '@material-ui/core/CardContent';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';

/** Where the picked user is remembered between page loads (cleared on sign-out). */
export const DEV_SIGN_IN_STORAGE_KEY = 'fincloud.devSignIn.userRef';

type UsersState =
  | { mode: 'dev'; users: DevSignInUser[] }
  | { mode: 'production' };

async function loadUsers(authBaseUrl: string): Promise<UsersState> {
  const response = await fetch(`${authBaseUrl}/${DEV_SIGN_IN.usersPath}`);
  if (response.status === 404) {
    // The development sign-in is off (production): use the real provider.
    return { mode: 'production' };
  }
  if (!response.ok) {
    throw await ResponseError.fromResponse(response);
  }
  const body = (await response.json()) as { users: DevSignInUser[] };
  return { mode: 'dev', users: body.users };
}

function withForgetOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      window.localStorage.removeItem(DEV_SIGN_IN_STORAGE_KEY);
      await identity.signOut();
    },
  };
}

function UserCard(props: { user: DevSignInUser; onPick(ref: string): void }) {
  const { user, onPick } = props;
  const name = user.userRef.split('/').pop();
  return (
    <Card variant="outlined" data-testid={`dev-user-${name}`}>
      <CardContent>
        <Typography variant="h6">{user.displayName}</Typography>
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {user.userRef}
        </Typography>
        {user.description && (
          <Typography variant="body2" gutterBottom>
            {user.description}
          </Typography>
        )}
        {user.groups.map(group => (
          <Chip key={group} size="small" label={group} />
        ))}
      </CardContent>
      <CardActions>
        <Button
          color="primary"
          variant="contained"
          aria-label={`Sign in as ${name}`}
          onClick={() => onPick(user.userRef)}
        >
          Sign in as {name}
        </Button>
      </CardActions>
    </Card>
  );
}

/**
 * The fincloud sign-in page. When the backend's development sign-in is on
 * (`auth.providers.fincloud-dev`), it lists the catalog's users and signs you
 * in as the one you pick, so each role can be tried; otherwise it offers the
 * production provider (GitHub).
 *
 * @public
 */
export function DevSignInPage(props: SignInPageProps) {
  const discoveryApi = useApi(discoveryApiRef);
  const [picked, setPicked] = useState<string | undefined>(
    () => window.localStorage.getItem(DEV_SIGN_IN_STORAGE_KEY) ?? undefined,
  );
  const state = useAsync(
    async () => loadUsers(await discoveryApi.getBaseUrl('auth')),
    [discoveryApi],
  );
  const { onSignInSuccess } = props;
  const onSuccess = useCallback(
    (identity: IdentityApi) => onSignInSuccess(withForgetOnSignOut(identity)),
    [onSignInSuccess],
  );

  if (state.loading) {
    return <Progress />;
  }
  if (state.error) {
    return <ResponseErrorPanel error={state.error} />;
  }
  if (state.value?.mode === 'production') {
    return (
      <SignInPage
        {...props}
        provider={{
          id: 'github-auth-provider',
          title: 'GitHub',
          message: 'Sign in using GitHub',
          apiRef: githubAuthApiRef,
        }}
      />
    );
  }
  const users = state.value?.mode === 'dev' ? state.value.users : [];
  if (picked && users.some(user => user.userRef === picked)) {
    return (
      <ProxiedSignInPage
        {...props}
        onSignInSuccess={onSuccess}
        provider={DEV_SIGN_IN.providerId}
        headers={{ [DEV_SIGN_IN.userHeader]: picked }}
      />
    );
  }
  const pick = (userRef: string) => {
    window.localStorage.setItem(DEV_SIGN_IN_STORAGE_KEY, userRef);
    setPicked(userRef);
  };
  return (
    <Page themeId="home">
      <Header
        title="Sign in to fincloud"
        subtitle="Development sign-in: pick a sample user to see what each role may do"
      />
      <Content>
        {users.length === 0 ? (
          <Typography>
            The catalog has no users yet. It is still loading the sample
            organisation; reload the page in a few seconds.
          </Typography>
        ) : (
          <Grid container spacing={2}>
            {users.map(user => (
              <Grid item xs={12} sm={6} md={4} key={user.userRef}>
                <UserCard user={user} onPick={pick} />
              </Grid>
            ))}
          </Grid>
        )}
      </Content>
    </Page>
  );
}

import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  text: {
    color: '#7df3e1',
    fontSize: 26,
    fontWeight: 700,
    lineHeight: '28px',
  },
});

export const LogoIcon = () => {
  const classes = useStyles();
  return <span className={classes.text}>fc</span>;
};
